//! The decision (CONTRACT §7): what to do with an experiment now, from its analysis alone. Pure:
//! the same report always gives the same recommendation, with the reasons in words.

use super::format::{p_is, signed_percent};
use super::report::{MetricReport, Role, SrmReport, VariantMetric};
use serde::Serialize;

/// What the analysis recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Recommendation {
    /// A treatment is significantly better on the primary metric and harms no guardrail.
    Ship,
    /// Nothing qualifies for shipping and a treatment does harm: keep the control.
    RollBack,
    /// The planned sample is reached (or the experiment stopped) and nothing is significant.
    Inconclusive,
    /// Not enough evidence yet.
    KeepRunning,
    /// The data cannot be trusted (sample ratio mismatch): nothing else is recommended.
    Investigate,
}

impl Recommendation {
    /// The name as in the JSON, e.g. `roll_back`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The decision block of a report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// What to do.
    pub recommendation: Recommendation,
    /// The variant to ship (`ship`) or keep (`roll_back`: the control); otherwise none.
    pub variant: Option<String>,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
    /// For `keep_running`: days until the planned sample is reached and its windows have ended.
    pub days_remaining: Option<u64>,
}

/// What the decision is made from.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Every metric, primary first (as in the report).
    pub metrics: &'a [MetricReport],
    /// The SRM check.
    pub srm: &'a SrmReport,
    /// Significance level (guardrails are judged on the unadjusted p-value against it).
    pub alpha: f64,
    /// Always-valid (sequential) inference: a result may be acted on at any time.
    pub sequential: bool,
    /// The planned sample is reached, or the experiment stopped: a fixed-horizon result may be
    /// acted on.
    pub sample_reached: bool,
    /// The progress estimate of the days left.
    pub days_remaining: Option<u64>,
}

/// The decision for this evidence.
pub fn decide(e: &Evidence<'_>) -> Decision {
    let decision = |recommendation, variant: Option<&str>, reasons| Decision {
        recommendation,
        variant: variant.map(str::to_string),
        reasons,
        days_remaining: None,
    };
    if e.srm.mismatch {
        let reason = format!(
            "Sample ratio mismatch: exposures per variant {:?} do not match the planned split ({}); \
             fix assignment or tracking before deciding anything.",
            e.srm.observed,
            p_is(e.srm.p_value)
        );
        return decision(Recommendation::Investigate, None, vec![reason]);
    }
    let Some(primary) = e.metrics.iter().find(|m| m.role == Role::Primary) else {
        return Decision { days_remaining: e.days_remaining, ..decision(Recommendation::KeepRunning, None, vec![]) };
    };
    let (control, treatments) = (&primary.variants[0], &primary.variants[1..]);
    let harmed: Vec<(&VariantMetric, &MetricReport)> =
        treatments.iter().flat_map(|t| guardrails_harmed(e, &t.variant).into_iter().map(move |g| (t, g))).collect();
    let candidates: Vec<&VariantMetric> =
        treatments.iter().filter(|t| better(t) && !harmed.iter().any(|(h, _)| h.variant == t.variant)).collect();
    let can_act = e.sequential || e.sample_reached;
    if let Some(best) = candidates.iter().max_by(|a, b| lift(a).total_cmp(&lift(b))) {
        if can_act {
            let mut reasons = vec![format!(
                "{} raised the {} by {} (adjusted {}), significant after the correction.",
                best.variant,
                primary.label,
                signed_percent(lift(best)),
                best.adjusted_p_value.map_or_else(|| "p n/a".into(), p_is)
            )];
            reasons.push("No guardrail got significantly worse.".into());
            if candidates.len() > 1 {
                reasons.push(format!("It has the largest lift of the {} treatments that qualify.", candidates.len()));
            }
            return decision(Recommendation::Ship, Some(&best.variant), reasons);
        }
        if harmed.is_empty() && !treatments.iter().any(worse) {
            let reasons = vec![format!(
                "{} looks better on the {}, but a fixed-horizon test may only be acted on once the planned \
                 sample is reached.",
                best.variant, primary.label
            )];
            return Decision {
                days_remaining: e.days_remaining,
                ..decision(Recommendation::KeepRunning, None, reasons)
            };
        }
        // Nothing qualifies for shipping yet, and another treatment does harm: roll back (below).
    }
    let mut harm: Vec<String> = treatments
        .iter()
        .filter(|t| worse(t))
        .map(|t| format!("{} lowered the {} by {}.", t.variant, primary.label, signed_percent(lift(t))))
        .collect();
    harm.extend(
        harmed.iter().map(|(t, g)| format!("{} made the guardrail {} significantly worse.", t.variant, g.label)),
    );
    if !harm.is_empty() {
        harm.push(format!("No treatment qualifies for shipping: keep {}.", control.variant));
        return decision(Recommendation::RollBack, Some(&control.variant), harm);
    }
    if e.sample_reached {
        let reason = format!("No treatment changed the {} significantly with the planned sample.", primary.label);
        return decision(Recommendation::Inconclusive, None, vec![reason]);
    }
    let reason = format!("Nothing is significant on the {} yet.", primary.label);
    Decision { days_remaining: e.days_remaining, ..decision(Recommendation::KeepRunning, None, vec![reason]) }
}

/// Significantly better on its metric (after the correction).
fn better(t: &VariantMetric) -> bool {
    t.significant == Some(true) && t.absolute.is_some_and(|a| a.estimate > 0.0)
}

/// Significantly worse on its metric (after the correction).
fn worse(t: &VariantMetric) -> bool {
    t.significant == Some(true) && t.absolute.is_some_and(|a| a.estimate < 0.0)
}

/// The relative lift (the absolute one when the relative is undefined).
fn lift(t: &VariantMetric) -> f64 {
    t.relative.or(t.absolute).map_or(0.0, |e| e.estimate)
}

/// The guardrails `variant` made significantly worse (unadjusted p < α, as the report flags them).
fn guardrails_harmed<'a>(e: &Evidence<'a>, variant: &str) -> Vec<&'a MetricReport> {
    e.metrics
        .iter()
        .filter(|m| m.role == Role::Guardrail)
        .filter(|m| {
            m.variants[1..]
                .iter()
                .any(|t| t.variant == variant && t.absolute.is_some_and(|a| a.estimate < 0.0 && a.p_value < e.alpha))
        })
        .collect()
}

#[cfg(test)]
mod tests;
