//! The assignment decision for one customer: pure, from the snapshot and the customer's stored
//! exposures.

use super::bucket::{self, TRAFFIC, VARIANT};
use super::snapshot::{ActiveExperiment, ShippedExperiment, Snapshot};
use crate::domain::experiment::Status;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The salt of the global holdout; fixed, so that the same customers stay held out.
const HOLDOUT_SALT: &str = "stagelab-global-holdout";

/// What is known about a customer at decision time.
#[derive(Debug, Clone, Default)]
pub struct CustomerView<'a> {
    /// External id.
    pub id: &'a str,
    /// The stage to decide for.
    pub stage: Option<&'a str>,
    /// Stored attributes merged with the request's.
    pub attributes: Map<String, Value>,
    /// Segment.
    pub segment: Option<&'a str>,
    /// Stored exposures: experiment id → variant id.
    pub exposures: HashMap<i64, i64>,
}

/// One assignment.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The experiment.
    pub experiment: Arc<ActiveExperiment>,
    /// Index into its variants.
    pub variant: usize,
    /// A first exposure that must be stored before answering.
    pub new_exposure: bool,
    /// Forced by a QA override.
    pub is_override: bool,
}

/// Whether a customer is in the global holdout.
pub fn in_holdout(share: f64, customer_id: &str) -> bool {
    share > 0.0 && bucket::position(HOLDOUT_SALT, "holdout", customer_id) < share
}

/// Decides a customer's assignments, in experiment-key order. `only` limits the experiments
/// considered (the request's filter).
pub fn decide(snapshot: &Snapshot, customer: &CustomerView, only: Option<&[String]>) -> Vec<Decision> {
    let Some(stage) = customer.stage else { return Vec::new() };
    let wanted = |e: &ActiveExperiment| only.is_none_or(|keys| keys.iter().any(|k| k == &e.key));
    let held_out = in_holdout(snapshot.lifecycle.holdout, customer.id);
    let mut decisions: Vec<Decision> = Vec::new();

    // Overrides first: they win wherever the experiment is and whatever the customer's stage.
    let mut overridden: Vec<i64> = Vec::new();
    for experiment in snapshot.by_id.values().filter(|e| wanted(e)) {
        if let Some(&variant) = experiment.overrides.get(customer.id) {
            let new_exposure = !customer.exposures.contains_key(&experiment.id);
            decisions.push(Decision { experiment: experiment.clone(), variant, new_exposure, is_override: true });
            overridden.push(experiment.id);
        }
    }

    for experiment in snapshot.by_stage.get(stage).into_iter().flatten().filter(|e| wanted(e)) {
        if overridden.contains(&experiment.id) {
            continue;
        }
        // Sticky: a stored exposure is the answer, whatever changed since.
        if let Some(variant_id) = customer.exposures.get(&experiment.id) {
            if let Some(variant) = experiment.variant_index(*variant_id) {
                decisions.push(Decision {
                    experiment: experiment.clone(),
                    variant,
                    new_exposure: false,
                    is_override: false,
                });
            }
            continue;
        }
        if experiment.status != Status::Running || held_out {
            continue;
        }
        if let Some(rule) = &experiment.targeting {
            if !rule.matches(&customer.attributes, customer.segment) {
                continue;
            }
        }
        if !enters(snapshot, experiment, customer, &decisions) {
            continue;
        }
        let variant = bucket::pick(bucket::position(&experiment.salt, VARIANT, customer.id), &experiment.weights);
        decisions.push(Decision { experiment: experiment.clone(), variant, new_exposure: true, is_override: false });
    }
    decisions.sort_by(|a, b| a.experiment.key.cmp(&b.experiment.key));
    decisions
}

/// The shipped experiments a customer at `stage` with these facts gets, in key order: every one
/// at the stage whose targeting matches, unless the customer is in the holdout. Traffic, layers,
/// overrides and stored exposures do not count.
pub fn shipped(
    snapshot: &Snapshot,
    customer_id: &str,
    stage: Option<&str>,
    facts: (&Map<String, Value>, Option<&str>),
    only: Option<&[String]>,
) -> Vec<Arc<ShippedExperiment>> {
    let Some(list) = stage.and_then(|s| snapshot.shipped.get(s)) else { return Vec::new() };
    if in_holdout(snapshot.lifecycle.holdout, customer_id) {
        return Vec::new();
    }
    let (attributes, segment) = facts;
    list.iter()
        .filter(|e| only.is_none_or(|keys| keys.iter().any(|k| k == &e.key)))
        .filter(|e| e.targeting.as_ref().is_none_or(|rule| rule.matches(attributes, segment)))
        .cloned()
        .collect()
}

/// Whether the customer falls in the experiment's traffic (within its layer slot, if any) and is
/// not already in another experiment of the same layer.
fn enters(snapshot: &Snapshot, experiment: &ActiveExperiment, customer: &CustomerView, so_far: &[Decision]) -> bool {
    match &experiment.slot {
        None => bucket::position(&experiment.salt, TRAFFIC, customer.id) < experiment.traffic,
        Some(slot) => {
            let same_layer = |id: i64| id != experiment.id && snapshot.layer_of.get(&id) == Some(&slot.layer);
            if customer.exposures.keys().any(|id| same_layer(*id)) || so_far.iter().any(|d| same_layer(d.experiment.id))
            {
                return false;
            }
            let position = bucket::position("layer", &slot.layer, customer.id);
            let width = slot.end - slot.start;
            position >= slot.start && position < slot.start + width * experiment.traffic
        }
    }
}

#[cfg(test)]
mod tests;
