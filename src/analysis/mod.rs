//! The analysis of one experiment: from the aggregates SQL computes (see
//! [`crate::db::models::results`]) to the [`Report`] analysts read. Everything here is pure
//! except [`compute`], which loads what [`build`] needs, and [`Reports`], which computes reports
//! a few at a time and keeps outcome rows current in the background.

mod alarm;
mod decision;
pub mod format;
mod funnel;
mod load;
mod metrics;
pub mod programme;
mod progress;
pub mod report;
mod reports;
mod survival;
mod verdict;

#[cfg(test)]
pub(crate) mod tests;

pub use alarm::{guardrail_alarms, Alarm};
pub use decision::{Decision, Recommendation};
pub use load::{compute, programme as compute_programme, refresh, Computed};
pub use report::Report;
pub use reports::{ReportError, Reports};

use crate::db::models::experiments::StoredExperiment;
use crate::db::models::results::{Aggregates, VariantSums};
use crate::domain::experiment::Status;
use crate::domain::lifecycle::Lifecycle;
use crate::stats::{self, Alpha, Correction, Tuning};
use chrono::{DateTime, Utc};
use report::{Exposures, SrmReport, VariantExposure};

/// Days before exposure whose values are the CUPED covariates.
pub const PRE_PERIOD_DAYS: i32 = 30;

/// What a report is built from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The experiment.
    pub experiment: &'a StoredExperiment,
    /// The lifecycle (stage names and order).
    pub lifecycle: &'a Lifecycle,
    /// The SQL aggregates.
    pub aggregates: &'a Aggregates,
    /// When the report is computed.
    pub now: DateTime<Utc>,
}

/// The correction an experiment asks for (`holm`, `bh`, else none).
pub fn correction(name: &str) -> Option<Correction> {
    match name {
        "holm" => Some(Correction::Holm),
        "bh" => Some(Correction::BenjaminiHochberg),
        _ => None,
    }
}

/// Builds the report.
pub fn build(input: &Input<'_>) -> Report {
    let (exp, def) = (input.experiment, &input.experiment.def);
    let keys: Vec<String> = def.variants.iter().map(|v| v.key.clone()).collect();
    let ids = &exp.variant_ids;
    let sums: Vec<VariantSums> = ids
        .iter()
        .map(|id| {
            let found = input.aggregates.variants.iter().find(|s| s.variant_id == *id);
            found.cloned().unwrap_or(VariantSums { variant_id: *id, ..VariantSums::default() })
        })
        .collect();
    let alpha = Alpha::new(def.stats.alpha).unwrap_or_default();
    let sequential = def.stats.method == "sequential";
    let options =
        stats::Options { alpha, sequential: sequential.then_some(Tuning::DEFAULT), ..stats::Options::default() };
    let exposures = exposures(def.variants.iter().map(|v| v.weight).collect(), &keys, &sums);
    let srm = srm(&exposures);
    let goal_name = stage_name(input.lifecycle, &def.goal);
    let inputs = metrics::Inputs {
        keys: &keys,
        sums: &sums,
        custom: &input.aggregates.custom,
        options: &options,
        cuped: def.stats.cuped,
        revenue_cap: input.aggregates.revenue_cap,
        goal_name: &goal_name,
    };
    let mut metric_reports: Vec<_> = metrics::specs(def).iter().map(|s| metrics::report(s, &inputs)).collect();
    metrics::finish(&mut metric_reports, correction(&def.stats.correction), alpha.get());
    let stopped = exp.def.status.has_ended();
    let verdicts = verdict::verdicts(
        &metric_reports,
        &verdict::Context {
            alpha: alpha.get(),
            srm: &srm,
            mature: exposures.mature,
            exposed: exposures.total,
            window_days: def.window_days,
            stopped,
        },
    );
    let stage_ids: Vec<String> = input.lifecycle.stages.iter().map(|s| s.id.clone()).collect();
    let from = input.lifecycle.position(&def.stage).map_or(0, |p| p + 1);
    let funnel_variants: Vec<(String, i64, u64)> =
        keys.iter().zip(ids).zip(&sums).map(|((k, id), s)| (k.clone(), *id, s.n)).collect();
    let funnel = funnel::funnel(&stage_ids, from, &funnel_variants, &input.aggregates.funnel);
    let keyed: Vec<(String, i64)> = keys.iter().cloned().zip(ids.iter().copied()).collect();
    let time_to_goal = survival::time_to_goal(&keyed, &input.aggregates.time_to_goal, alpha);
    let daily = progress::daily(ids, &input.aggregates.daily);
    let progress = progress::progress(
        daily,
        &progress::Plan {
            primary: metric_reports.iter().find(|m| m.role == report::Role::Primary),
            mde: def.stats.mde,
            alpha,
            variants: keys.len() as u32,
            mature: exposures.mature,
            window_days: def.window_days,
            today: input.now.date_naive(),
            running: def.status == Status::Running,
        },
    );
    let sample_reached =
        stopped || progress.sample_needed.is_some_and(|s| exposures.variants.iter().all(|v| v.mature >= s.per_variant));
    let decision = decision::decide(&decision::Evidence {
        metrics: &metric_reports,
        srm: &srm,
        alpha: alpha.get(),
        sequential,
        sample_reached,
        days_remaining: progress.days_remaining,
    });
    Report {
        experiment: def.key.clone(),
        name: def.name.clone(),
        hypothesis: def.hypothesis.clone(),
        status: def.status,
        stage: def.stage.clone(),
        goal: def.goal.clone(),
        window_days: def.window_days,
        generated_at: input.now,
        started_at: exp.started_at,
        stopped_at: exp.stopped_at,
        method: if sequential { "sequential" } else { "fixed" }.into(),
        alpha: alpha.get(),
        correction: match correction(&def.stats.correction) {
            Some(Correction::Holm) => "holm",
            Some(Correction::BenjaminiHochberg) => "bh",
            None => "none",
        }
        .into(),
        exposures,
        srm,
        metrics: metric_reports,
        verdicts,
        decision,
        funnel,
        time_to_goal,
        progress,
    }
}

fn exposures(weights: Vec<f64>, keys: &[String], sums: &[VariantSums]) -> Exposures {
    let total_weight: f64 = weights.iter().sum();
    let variants: Vec<VariantExposure> = keys
        .iter()
        .zip(sums)
        .zip(weights)
        .map(|((key, s), w)| VariantExposure {
            variant: key.clone(),
            weight: if total_weight > 0.0 { w / total_weight } else { 0.0 },
            exposed: s.exposed,
            mature: s.n,
            immature: s.exposed.saturating_sub(s.n),
        })
        .collect();
    let total = variants.iter().map(|v| v.exposed).sum();
    let mature = variants.iter().map(|v| v.mature).sum();
    Exposures { total, mature, immature: total - mature, variants }
}

fn srm(exposures: &Exposures) -> SrmReport {
    let observed: Vec<u64> = exposures.variants.iter().map(|v| v.exposed).collect();
    let weights: Vec<f64> = exposures.variants.iter().map(|v| v.weight).collect();
    let expected: Vec<f64> = weights.iter().map(|w| w * exposures.total as f64).collect();
    match stats::srm(&observed, Some(&weights)) {
        Ok(s) => SrmReport { p_value: s.p_value, chi_square: s.chi_square, mismatch: s.mismatch, observed, expected },
        // Fewer than two variants or no positive weight: nothing to test.
        Err(_) => SrmReport { p_value: 1.0, chi_square: 0.0, mismatch: false, observed, expected },
    }
}

fn stage_name(lifecycle: &Lifecycle, id: &str) -> String {
    lifecycle.stages.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone())
}
