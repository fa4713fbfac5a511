//! Plain-language conclusions: what an analyst would say after reading the numbers.

use super::format::{percent, signed, signed_percent, value};
use super::report::{Kind, MetricReport, Outcome, Role, SrmReport, VariantMetric, Verdict};

/// What the sentences depend on besides the metrics.
pub(super) struct Context<'a> {
    /// Significance level.
    pub alpha: f64,
    /// SRM check.
    pub srm: &'a SrmReport,
    /// Mature customers in all.
    pub mature: u64,
    /// Exposed customers in all.
    pub exposed: u64,
    /// Conversion window.
    pub window_days: i32,
    /// Whether the experiment has stopped (no "yet").
    pub stopped: bool,
}

/// One verdict per treatment on the primary metric, then one per guardrail a treatment broke.
pub(super) fn verdicts(metrics: &[MetricReport], ctx: &Context<'_>) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(primary) = metrics.iter().find(|m| m.role == Role::Primary) {
        let control = &primary.variants[0];
        for t in &primary.variants[1..] {
            let (outcome, text) = primary_sentence(primary, control, t, ctx);
            out.push(Verdict {
                variant: t.variant.clone(),
                metric: primary.metric.clone(),
                role: Role::Primary,
                outcome,
                text,
            });
        }
    }
    for guardrail in metrics.iter().filter(|m| m.role == Role::Guardrail) {
        let control = &guardrail.variants[0];
        for t in &guardrail.variants[1..] {
            let Some(abs) = t.absolute else { continue };
            if abs.estimate < 0.0 && abs.p_value < ctx.alpha {
                let text = format!(
                    "Guardrail: {} lowered the {} from {} to {} ({}).",
                    t.variant,
                    guardrail.label,
                    value(guardrail.kind, control.mean),
                    value(guardrail.kind, t.mean),
                    change(guardrail.kind, t, ctx.alpha)
                );
                out.push(Verdict {
                    variant: t.variant.clone(),
                    metric: guardrail.metric.clone(),
                    role: Role::Guardrail,
                    outcome: Outcome::Worse,
                    text,
                });
            }
        }
    }
    out
}

fn primary_sentence(
    m: &MetricReport,
    control: &VariantMetric,
    t: &VariantMetric,
    ctx: &Context<'_>,
) -> (Outcome, String) {
    if ctx.mature == 0 {
        return (
            Outcome::NoData,
            format!(
                "No results yet: no customer's {}-day window has ended ({} exposed so far).",
                ctx.window_days, ctx.exposed
            ),
        );
    }
    let (c, v) = (value(m.kind, control.mean), value(m.kind, t.mean));
    let (mut outcome, mut text) = match (t.absolute, t.significant) {
        (Some(abs), Some(true)) => {
            let verb = if abs.estimate > 0.0 { "raised" } else { "lowered" };
            let outcome = if abs.estimate > 0.0 { Outcome::Better } else { Outcome::Worse };
            (
                outcome,
                format!(
                    "{} {verb} the {} from {c} to {v} ({}){}.",
                    t.variant,
                    m.label,
                    change(m.kind, t, ctx.alpha),
                    chance(t)
                ),
            )
        }
        (Some(_), _) => {
            let yet = if ctx.stopped { "" } else { " yet" };
            let text = format!(
                "{}: not significant{yet}; the {} is {c} in control and {v} with {} ({}){}.",
                t.variant,
                m.label,
                t.variant,
                change(m.kind, t, ctx.alpha),
                chance(t)
            );
            (Outcome::Inconclusive, text)
        }
        (None, _) => (
            Outcome::Inconclusive,
            format!(
                "{}: the {} cannot be compared yet ({}).",
                t.variant,
                m.label,
                t.note.as_deref().unwrap_or("not enough data")
            ),
        ),
    };
    if ctx.srm.mismatch {
        outcome = Outcome::Untrustworthy;
        text = format!(
            "SRM: do not trust these results. Exposures per variant {:?} do not match the planned split ({}), \
             so assignment or tracking is broken. {text}",
            ctx.srm.observed,
            super::format::p_is(ctx.srm.p_value)
        );
    } else {
        text.push_str(" Sample ratio looks healthy.");
    }
    (outcome, text)
}

/// "+11.7%, 95% CI +4.2% to +19.6%" (relative when defined, else absolute).
fn change(kind: Kind, t: &VariantMetric, alpha: f64) -> String {
    let level = format!("{}% CI", ((1.0 - alpha) * 100.0).round());
    match (t.relative, t.absolute) {
        (Some(r), _) => format!(
            "{}, {level} {} to {}",
            signed_percent(r.estimate),
            signed_percent(r.ci.lower()),
            signed_percent(r.ci.upper())
        ),
        (None, Some(a)) => format!(
            "{}, {level} {} to {}",
            signed(kind, a.estimate),
            signed(kind, a.ci.lower()),
            signed(kind, a.ci.upper())
        ),
        (None, None) => "no interval".into(),
    }
}

fn chance(t: &VariantMetric) -> String {
    t.chance_to_beat_control.map_or_else(String::new, |c| format!("; chance to beat control {}", percent(c)))
}
