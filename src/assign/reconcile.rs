//! The last pure step: [`reconcile`] settles each request's answer from its [`Plan`] and the
//! rows the write reported. It is the only place that decides which variant won (a stored
//! exposure beats a proposal, an override beats both) and which first exposures are new (a row
//! this call inserted, counted once even when a customer is named twice).

use super::known::Known;
use super::plan::{Plan, Settle};
use super::request::Parsed;
use super::snapshot::{ActiveExperiment, Snapshot};
use crate::db::models::exposures::Stored;
use std::collections::HashSet;
use std::sync::Arc;

/// One assignment as answered.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The experiment.
    pub experiment: Arc<ActiveExperiment>,
    /// Index into its variants: the variant the customer has.
    pub variant: usize,
    /// This request stored the customer's first exposure (count it once).
    pub first_exposure: bool,
    /// Forced by a QA override.
    pub is_override: bool,
}

/// What a call ends with.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Each request's assignments, in request order, each in experiment-key order.
    pub answers: Vec<Vec<Settled>>,
    /// What is now known for sure about customers, to remember.
    pub learned: Vec<(String, Known)>,
}

/// Settles every request of a call (`requests[i]` is planned by `plans[i]`) against the rows the
/// write reported for this call (`outcome`; empty when nothing was written). A row marked new was
/// inserted by this call's write.
pub fn reconcile(snapshot: &Snapshot, requests: &[Parsed], plans: Vec<Plan>, outcome: &Stored) -> Reconciled {
    let mut claimed: HashSet<(&str, i64)> = HashSet::new();
    let mut reconciled = Reconciled { answers: Vec::with_capacity(plans.len()), learned: Vec::new() };
    for (request, plan) in requests.iter().zip(plans) {
        let customer = request.customer_id.as_str();
        let mut first = |experiment_id: i64, proposed: bool| {
            proposed
                && outcome.get(customer, experiment_id).is_some_and(|row| row.new)
                && claimed.insert((customer, experiment_id))
        };
        let answer: Vec<Settled> = match plan.settle {
            // Write-only: what is stored at the stage now is the answer (sticky).
            Settle::WriteOnly => request
                .at_stage(snapshot)
                .filter_map(|e| {
                    let row = outcome.get(customer, e.id)?;
                    let variant = e.variant_index(row.variant_id)?;
                    let proposed = plan.decisions.iter().any(|d| d.experiment.id == e.id && d.new_exposure);
                    Some(Settled {
                        experiment: e.clone(),
                        variant,
                        first_exposure: first(e.id, proposed),
                        is_override: false,
                    })
                })
                .collect(),
            Settle::Cached | Settle::LookedUp => plan
                .decisions
                .iter()
                .map(|d| {
                    let stored = outcome.get(customer, d.experiment.id).filter(|_| !d.is_override);
                    // A concurrent first exposure may have won: its variant is the answer.
                    let variant =
                        stored.and_then(|row| d.experiment.variant_index(row.variant_id)).unwrap_or(d.variant);
                    Settled {
                        experiment: d.experiment.clone(),
                        variant,
                        first_exposure: first(d.experiment.id, d.new_exposure),
                        is_override: d.is_override,
                    }
                })
                .collect(),
        };
        if let Some(mut known) = plan.known {
            known.exposures.extend(outcome.of(customer).iter().map(|s| (s.experiment_id, s.variant_id)));
            reconciled.learned.push((request.customer_id.clone(), known));
        }
        reconciled.answers.push(answer);
    }
    reconciled
}

#[cfg(test)]
mod tests;
