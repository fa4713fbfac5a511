//! The downstream funnel: where a variant's customers drop off after the experiment's stage.

use super::format::ratio;
use super::report::{Funnel, FunnelStep, FunnelVariant};
use crate::db::models::results::FunnelCount;

/// The funnel of the stages after position `from` (1-based) for each variant (`(key, id, n)`).
pub(super) fn funnel(
    stages: &[String],
    from: usize,
    variants: &[(String, i64, u64)],
    counts: &[FunnelCount],
) -> Funnel {
    let later: Vec<(usize, &String)> =
        stages.iter().enumerate().map(|(i, s)| (i + 1, s)).filter(|(p, _)| *p > from).collect();
    let variants = variants
        .iter()
        .map(|(key, id, n)| {
            let mut previous = *n;
            let steps = later
                .iter()
                .map(|(position, stage)| {
                    // Reaching a stage means reaching it or any later one: the funnel never widens.
                    let customers: u64 = counts
                        .iter()
                        .filter(|c| c.variant_id == *id && c.furthest.is_some_and(|f| f as usize >= *position))
                        .map(|c| c.customers)
                        .sum();
                    let step = FunnelStep {
                        stage: (*stage).clone(),
                        customers,
                        share: ratio(customers, *n),
                        step_rate: ratio(customers, previous),
                    };
                    previous = customers;
                    step
                })
                .collect();
            FunnelVariant { variant: key.clone(), n: *n, steps }
        })
        .collect();
    Funnel { stages: later.into_iter().map(|(_, s)| s.clone()).collect(), variants }
}
