//! Renderings of the programme analysis ([`Programme`]): plain text and CSV, with the numbers of
//! the same value the API serves.

use crate::analysis::format;
use crate::analysis::programme::Programme;
use crate::analysis::report::Kind;

/// The programme as text: per stage its sentence, then one line per metric and window.
pub fn text(p: &Programme) -> String {
    let mut out = format!(
        "Programme holdout: {} of customers; windows {} days\n",
        format::percent(p.holdout),
        p.windows_days.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
    );
    if p.stages.is_empty() {
        out.push_str("\nNo customer has been recorded at a stage with a running or shipped experiment yet.\n");
    }
    for s in &p.stages {
        out.push_str(&format!("\n{} — {} in the holdout, {} others\n{}\n", s.name, s.holdout.n, s.rest.n, s.summary));
        for m in &s.metrics {
            let r = &m.report;
            let (h, rest) = (&r.variants[0], &r.variants[1]);
            let shown = |v: f64| format::value(r.kind, v);
            let lift = rest.relative.map_or_else(
                || rest.note.clone().unwrap_or_else(|| "not comparable yet".into()),
                |e| {
                    let p = rest.absolute.map_or(String::new(), |a| format!(", {}", format::p_is(a.p_value)));
                    format!(
                        "{} [{}, {}]{p}",
                        format::signed_percent(e.estimate),
                        format::signed_percent(e.ci.lower()),
                        format::signed_percent(e.ci.upper())
                    )
                },
            );
            out.push_str(&format!(
                "  {:<28} {:>4} d  holdout {:>9} (n={})  rest {:>9} (n={})  {lift}\n",
                r.label,
                m.window_days,
                shown(h.mean),
                h.n,
                shown(rest.mean),
                rest.n
            ));
        }
    }
    out
}

const HEADER: [&str; 14] = [
    "stage",
    "metric",
    "window_days",
    "kind",
    "group",
    "n",
    "conversions",
    "mean",
    "sd",
    "relative",
    "relative_ci_lower",
    "relative_ci_upper",
    "p_value",
    "chance_to_beat_holdout",
];

/// The programme as CSV: one row per stage, metric, window and group.
pub fn csv(p: &Programme) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    w.write_record(HEADER).ok();
    let num = |x: Option<f64>| x.map_or_else(String::new, |x| x.to_string());
    for s in &p.stages {
        for m in &s.metrics {
            let kind = match m.report.kind {
                Kind::Proportion => "proportion",
                Kind::Mean => "mean",
            };
            for v in &m.report.variants {
                w.write_record([
                    s.stage.clone(),
                    m.report.metric.clone(),
                    m.window_days.to_string(),
                    kind.to_string(),
                    v.variant.clone(),
                    v.n.to_string(),
                    v.conversions.map_or_else(String::new, |c| c.to_string()),
                    v.mean.to_string(),
                    v.sd.to_string(),
                    num(v.relative.map(|e| e.estimate)),
                    num(v.relative.map(|e| e.ci.lower())),
                    num(v.relative.map(|e| e.ci.upper())),
                    num(v.absolute.map(|e| e.p_value)),
                    num(v.chance_to_beat_control),
                ])
                .ok();
            }
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
