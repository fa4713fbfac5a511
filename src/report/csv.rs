//! The report as CSV: one row per metric and variant, with full-precision numbers; the
//! experiment's decision closes every row.

use crate::analysis::report::{Kind, Report, Role};

const HEADER: [&str; 23] = [
    "experiment",
    "metric",
    "role",
    "kind",
    "variant",
    "n",
    "conversions",
    "mean",
    "sd",
    "absolute",
    "absolute_ci_lower",
    "absolute_ci_upper",
    "absolute_p_value",
    "relative",
    "relative_ci_lower",
    "relative_ci_upper",
    "relative_p_value",
    "chance_to_beat_control",
    "adjusted_p_value",
    "significant",
    "srm_p_value",
    "recommendation",
    "recommended_variant",
];

/// Renders `report` as CSV text.
pub fn render(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail; the results are ignored deliberately below via `ok()`.
    w.write_record(HEADER).ok();
    let num = |x: Option<f64>| x.map_or_else(String::new, |x| x.to_string());
    // The decision is the experiment's: the same on every row.
    let recommendation = report.decision.recommendation.as_str().to_string();
    for m in &report.metrics {
        for v in &m.variants {
            let role = match m.role {
                Role::Primary => "primary",
                Role::Secondary => "secondary",
                Role::Guardrail => "guardrail",
            };
            let kind = match m.kind {
                Kind::Proportion => "proportion",
                Kind::Mean => "mean",
            };
            let (a, r) = (v.absolute, v.relative);
            let record = [
                report.experiment.clone(),
                m.metric.clone(),
                role.into(),
                kind.into(),
                v.variant.clone(),
                v.n.to_string(),
                v.conversions.map_or_else(String::new, |c| c.to_string()),
                v.mean.to_string(),
                v.sd.to_string(),
                num(a.map(|e| e.estimate)),
                num(a.map(|e| e.ci.lower())),
                num(a.map(|e| e.ci.upper())),
                num(a.map(|e| e.p_value)),
                num(r.map(|e| e.estimate)),
                num(r.map(|e| e.ci.lower())),
                num(r.map(|e| e.ci.upper())),
                num(r.map(|e| e.p_value)),
                num(v.chance_to_beat_control),
                num(v.adjusted_p_value),
                v.significant.map_or_else(String::new, |s| s.to_string()),
                report.srm.p_value.to_string(),
                recommendation.clone(),
                report.decision.variant.clone().unwrap_or_default(),
            ];
            w.write_record(&record).ok();
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
