//! Time to goal: Kaplan–Meier curves per variant from grouped counts, and log-rank tests.

use super::report::{SurvivalVariant, TimeToGoal};
use crate::db::models::results::TimeCount;
use crate::stats::{analyze_survival, Alpha, Observation};

/// Curves for `variants` (`(key, id)`, control first) from counts in hours; times are reported
/// in days.
pub(super) fn time_to_goal(variants: &[(String, i64)], counts: &[TimeCount], alpha: Alpha) -> TimeToGoal {
    let observations: Vec<Vec<Observation>> = variants
        .iter()
        .map(|(_, id)| {
            counts
                .iter()
                .filter(|c| c.variant_id == *id)
                .filter_map(|c| Observation::grouped(c.hours / 24.0, c.event, c.customers).ok())
                .collect()
        })
        .collect();
    let Some((control, treatments)) = observations.split_first() else {
        return TimeToGoal { unit: "days", variants: Vec::new() };
    };
    let treatments: Vec<&[Observation]> = treatments.iter().map(Vec::as_slice).collect();
    let analysis = analyze_survival(control, &treatments, alpha);
    let mut out =
        vec![SurvivalVariant { variant: variants[0].0.clone(), curve: analysis.control.points, log_rank: None }];
    for ((key, _), t) in variants[1..].iter().zip(analysis.treatments) {
        out.push(SurvivalVariant { variant: key.clone(), curve: t.curve.points, log_rank: t.log_rank });
    }
    TimeToGoal { unit: "days", variants: out }
}
