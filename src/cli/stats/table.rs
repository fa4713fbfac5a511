//! The comparison table of `stagelab stats proportions|means` (without `--json`).

use crate::analysis::format::p_value;
use crate::stats::Analysis;
use std::fmt::Write as _;

/// One row per arm with `d` decimals for means and absolute lifts, then notes on undefined
/// results and small counts.
pub(super) fn render(a: &Analysis, d: usize) -> String {
    let level = format!("{}%", ((1.0 - a.alpha.get()) * 100.0 * 1e6).round() / 1e6);
    let mut out = format!(
        "alpha {} ({} intervals{})\n",
        a.alpha.get(),
        level,
        if a.sequential { ", sequential: valid at any peek" } else { ", fixed horizon" }
    );
    let ci_head = format!("{level} CI");
    let _ = writeln!(
        out,
        "{:<13} {:>10} {:>12} {:>12} {:>27} {:>9} {:>9} {:>21} {:>9} {:>8}",
        "variant", "n", "mean", "abs lift", ci_head, "p-value", "rel lift", ci_head, "p-value", "P(beat)"
    );
    let _ = writeln!(out, "{:<13} {:>10} {:>12.d$}", "control", a.control.n, a.control.mean);
    let mut notes = Vec::new();
    for (i, t) in a.treatments.iter().enumerate() {
        let name = format!("treatment {}", i + 1);
        let (abs, abs_ci, abs_p) = match &t.absolute {
            Some(e) => (
                format!("{:+.d$}", e.estimate),
                format!("[{:+.d$}, {:+.d$}]", e.ci.lower(), e.ci.upper()),
                p_value(e.p_value),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let (rel, rel_ci, rel_p) = match &t.relative {
            Some(e) => (
                format!("{:+.2}%", e.estimate * 100.0),
                format!("[{:+.2}%, {:+.2}%]", e.ci.lower() * 100.0, e.ci.upper() * 100.0),
                p_value(e.p_value),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let beat = t.chance_to_beat_control.map_or_else(|| "-".to_string(), |c| format!("{:.1}%", c * 100.0));
        let _ = writeln!(
            out,
            "{name:<13} {:>10} {:>12.d$} {abs:>12} {abs_ci:>27} {abs_p:>9} {rel:>9} {rel_ci:>21} {rel_p:>9} {beat:>8}",
            t.n, t.mean
        );
        for (what, reason) in [
            ("absolute lift", t.absolute_reason),
            ("relative lift", t.relative_reason),
            ("chance to beat", t.bayesian_reason),
        ] {
            if let Some(r) = reason {
                notes.push(format!("{name}: {what} undefined: {r}"));
            }
        }
        if let Some(p) = t.fisher_p_value {
            notes.push(format!("{name}: small counts, Fisher's exact p-value {}", p_value(p)));
        }
    }
    for n in notes {
        let _ = writeln!(out, "{n}");
    }
    out.trim_end().to_string()
}
