//! The report as plain text for the terminal (`stagelab report KEY`).

use crate::analysis::format::{p_value, percent, signed, signed_percent, value};
use crate::analysis::report::Report;
use std::fmt::Write;

/// Renders `report` as text.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_all(&mut s, r);
    s
}

fn write_all(s: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(s, "{} ({}): {}", r.name, r.experiment, r.status)?;
    writeln!(
        s,
        "{} → {} within {} days; {} analysis, α = {}, correction {}",
        r.stage, r.goal, r.window_days, r.method, r.alpha, r.correction
    )?;
    writeln!(s, "Generated {}", r.generated_at.format("%Y-%m-%d %H:%M UTC"))?;
    writeln!(s)?;
    let d = &r.decision;
    let variant = d.variant.as_deref().map_or_else(String::new, |v| format!(" {v}"));
    writeln!(s, "Recommendation: {}{variant}", d.recommendation.as_str().replace('_', " "))?;
    for reason in &d.reasons {
        writeln!(s, "  - {reason}")?;
    }
    if let Some(days) = d.days_remaining {
        writeln!(s, "  about {days} more days until the planned sample")?;
    }
    writeln!(s)?;
    for v in &r.verdicts {
        writeln!(s, "* {}", v.text)?;
    }
    writeln!(s)?;
    writeln!(
        s,
        "Exposures: {} ({} mature, {} still in their window)",
        r.exposures.total, r.exposures.mature, r.exposures.immature
    )?;
    for v in &r.exposures.variants {
        writeln!(
            s,
            "  {:<20} {:>10} exposed  {:>10} mature  (planned {})",
            v.variant,
            v.exposed,
            v.mature,
            percent(v.weight)
        )?;
    }
    let srm = if r.srm.mismatch { "MISMATCH: do not trust these results" } else { "healthy" };
    writeln!(s, "Sample ratio: p = {} ({srm})", p_value(r.srm.p_value))?;
    for m in &r.metrics {
        writeln!(s)?;
        let mut extra = String::new();
        if m.cuped {
            extra.push_str(", CUPED");
        }
        if let Some(cap) = m.winsorized_at {
            write!(extra, ", capped at {cap:.2}")?;
        }
        if m.guardrail_violated == Some(true) {
            extra.push_str(", GUARDRAIL VIOLATED");
        }
        writeln!(s, "{} ({:?}{extra}): {}", m.metric, m.role, m.label)?;
        writeln!(
            s,
            "  {:<20} {:>9} {:>10} {:>26} {:>10} {:>8} {:>10}",
            "variant", "n", "value", "relative (CI)", "p", "adj. p", "P(beat)"
        )?;
        for v in &m.variants {
            let rel = match (v.relative, v.absolute) {
                (Some(e), _) => format!(
                    "{} ({} to {})",
                    signed_percent(e.estimate),
                    signed_percent(e.ci.lower()),
                    signed_percent(e.ci.upper())
                ),
                (None, Some(e)) => format!(
                    "{} ({} to {})",
                    signed(m.kind, e.estimate),
                    signed(m.kind, e.ci.lower()),
                    signed(m.kind, e.ci.upper())
                ),
                (None, None) => v.note.clone().unwrap_or_default(),
            };
            let p = v.absolute.map_or_else(String::new, |e| p_value(e.p_value));
            let adj = v.adjusted_p_value.map_or_else(String::new, p_value);
            let beat = v.chance_to_beat_control.map_or_else(String::new, percent);
            writeln!(
                s,
                "  {:<20} {:>9} {:>10} {:>26} {:>10} {:>8} {:>10}",
                v.variant,
                v.n,
                value(m.kind, v.mean),
                rel,
                p,
                adj,
                beat
            )?;
        }
    }
    writeln!(s)?;
    writeln!(s, "Funnel after {} (share of mature customers reaching each stage within the window):", r.stage)?;
    for v in &r.funnel.variants {
        let steps: Vec<String> = v.steps.iter().map(|st| format!("{} {}", st.stage, percent(st.share))).collect();
        writeln!(s, "  {:<20} n = {:<9} {}", v.variant, v.n, steps.join(" → "))?;
    }
    writeln!(s)?;
    writeln!(s, "Time to {} (Kaplan–Meier, share reached by the end of the window):", r.goal)?;
    for v in &r.time_to_goal.variants {
        let reached = v.curve.last().map_or(0.0, |p| 1.0 - p.survival);
        let test = v.log_rank.map_or_else(String::new, |t| format!("  log-rank p = {}", p_value(t.p_value)));
        writeln!(s, "  {:<20} {}{test}", v.variant, percent(reached))?;
    }
    writeln!(s)?;
    let p = &r.progress;
    match (&p.sample_needed, p.days_remaining) {
        (Some(n), Some(days)) => writeln!(
            s,
            "Progress: {} of {} mature customers needed for a {} change in {}; about {days} more days.",
            r.exposures.mature,
            n.total,
            signed_percent(p.mde),
            p.planned_on
        )?,
        (Some(n), None) => writeln!(
            s,
            "Progress: {} of {} mature customers needed; {}",
            r.exposures.mature,
            n.total,
            p.note.as_deref().unwrap_or("")
        )?,
        (None, _) => writeln!(s, "Progress: {}", p.note.as_deref().unwrap_or("no estimate"))?,
    }
    Ok(())
}
