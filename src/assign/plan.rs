//! The pure middle of the pipeline: how each request is answered ([`Route`]), what it proposes
//! ([`Plan`]), and the one [`WriteBatch`] a call hands to the group-commit writer.

use super::decide::{self, CustomerView, Decision};
use super::known::{self, Known};
use super::request::Parsed;
use super::snapshot::{ShippedExperiment, Snapshot};
use crate::db::models::exposures::{CustomerFacts, CustomerUpdate, NewExposure, NewMember};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// How a request is answered, chosen before any I/O.
#[derive(Debug)]
pub enum Route {
    /// The known-customers cache decides the whole answer: no database round trip.
    Cached(Vec<Decision>),
    /// The write alone decides: nothing stored can change the decision except a stored
    /// exposure, which the write returns.
    WriteOnly,
    /// The customer's stored stage, attributes and exposures are needed first.
    Lookup,
}

/// The route of `request`, given what this node knows for sure about the customer.
pub fn route(snapshot: &Snapshot, request: &Parsed, known: Option<&Known>) -> Route {
    if !shipped_decidable(snapshot, request) {
        return Route::Lookup;
    }
    if let Some(decisions) = known.and_then(|k| from_known(snapshot, request, k)) {
        return Route::Cached(decisions);
    }
    if writes_alone_decide(snapshot, request) {
        Route::WriteOnly
    } else {
        Route::Lookup
    }
}

/// The answer from the cache, when it decides the whole answer: the request brings no new facts
/// and every experiment it could get already has the customer's exposure.
fn from_known(snapshot: &Snapshot, request: &Parsed, known: &Known) -> Option<Vec<Decision>> {
    let stage = request.stage.as_deref()?;
    let same_facts = request.attributes.iter().all(|(k, v)| known.attributes.get(k) == Some(v))
        && request.segment.as_ref().is_none_or(|s| known.segment.as_ref() == Some(s));
    if !same_facts || !known::covers(snapshot, &request.customer_id, stage, request.experiments.as_deref(), known) {
        return None;
    }
    if snapshot.in_programme(stage) && !known.members.iter().any(|s| s == stage) {
        return None;
    }
    let view = CustomerView {
        id: &request.customer_id,
        stage: Some(stage),
        exposures: known.exposures.clone(),
        ..CustomerView::default()
    };
    let decisions = decide::decide(snapshot, &view, request.experiments.as_deref());
    decisions.iter().all(|d| !d.new_exposure).then_some(decisions)
}

/// Whether the decision needs no stored facts: the stage is given, every experiment the request
/// could get at it has no targeting and no layer neighbour, and no override names the customer.
fn writes_alone_decide(snapshot: &Snapshot, request: &Parsed) -> bool {
    if request.stage.is_none() {
        return false;
    }
    let simple = request
        .at_stage(snapshot)
        .all(|e| e.targeting.is_none() && e.slot.as_ref().is_none_or(|slot| slot.start == 0.0 && slot.end == 1.0));
    let overridden =
        snapshot.by_id.values().any(|e| request.wants(&e.key) && e.overrides.contains_key(&request.customer_id));
    simple && !overridden
}

/// Whether the request's own facts settle its shipped answers: it gives its stage, and the
/// targeting of each shipped experiment there needs only the attributes (and segment) it gives.
fn shipped_decidable(snapshot: &Snapshot, request: &Parsed) -> bool {
    if snapshot.shipped.is_empty() {
        return true;
    }
    let Some(stage) = request.stage.as_deref() else { return false };
    let (attributes, segment) = (&request.attributes, request.segment.as_deref());
    snapshot
        .shipped
        .get(stage)
        .into_iter()
        .flatten()
        .filter(|e| request.wants(&e.key))
        .all(|e| e.targeting.as_ref().is_none_or(|rule| rule.decidable_from(attributes, segment)))
}

/// How a plan's answer is settled once the write is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// From the cache: the decisions stand.
    Cached,
    /// From what is stored at the request's stage after the write (sticky: a stored exposure wins).
    WriteOnly,
    /// From the decisions on looked-up facts, a concurrent first exposure winning.
    LookedUp,
}

/// One request's plan: its proposed decisions and what it needs written.
#[derive(Debug)]
pub struct Plan {
    /// How the answer is settled.
    pub settle: Settle,
    /// The decisions before the write; `new_exposure` ones are proposed first exposures.
    pub decisions: Vec<Decision>,
    /// Attributes or segment to merge into the stored customer.
    pub update: Option<CustomerUpdate>,
    /// The programme membership to record.
    pub member: Option<NewMember>,
    /// The write must return every stored exposure of the customer: a write-only decision left
    /// out an experiment at its stage (paused, or the customer outside its traffic now) to which
    /// another request may have exposed the customer.
    pub read_all: bool,
    /// What is known for sure before the write (to remember with the write's rows); `None` for
    /// cached answers.
    pub known: Option<Known>,
    /// The shipped experiments it gets (no write: settled now).
    pub shipped: Vec<Arc<ShippedExperiment>>,
}

/// Facts of looked-up customers, by id (absent: never stored).
pub type Facts = HashMap<String, CustomerFacts>;

/// The plan of `request` on its route; `facts` holds the looked-up customers.
pub fn plan(snapshot: &Snapshot, request: &Parsed, route: Route, facts: &Facts) -> Plan {
    let (settle, stored) = match route {
        Route::Cached(decisions) => {
            let facts = (&request.attributes, request.segment.as_deref());
            let only = request.experiments.as_deref();
            let shipped = decide::shipped(snapshot, &request.customer_id, request.stage.as_deref(), facts, only);
            let member = None;
            return Plan {
                settle: Settle::Cached,
                decisions,
                update: None,
                member,
                read_all: false,
                known: None,
                shipped,
            };
        }
        Route::WriteOnly => (Settle::WriteOnly, None),
        Route::Lookup => (Settle::LookedUp, Some(facts.get(&request.customer_id).cloned().unwrap_or_default())),
    };
    let stored = stored.as_ref();
    let mut attributes = stored.map(|f| f.attributes.clone()).unwrap_or_default();
    // Without a lookup, given facts are always merged (the store cannot tell what changed).
    let changed = stored.is_none() && request.brings_facts()
        || request.attributes.iter().any(|(k, v)| attributes.get(k) != Some(v))
        || request.segment.as_ref().is_some_and(|s| stored.and_then(|f| f.segment.as_ref()) != Some(s));
    let update = changed.then(|| CustomerUpdate {
        customer_id: request.customer_id.clone(),
        attributes: Value::Object(request.attributes.clone()),
        segment: request.segment.clone(),
    });
    attributes.extend(request.attributes.clone());
    let segment = request.segment.clone().or_else(|| stored.and_then(|f| f.segment.clone()));
    let view = CustomerView {
        id: &request.customer_id,
        stage: snapshot.stage_for(request.stage.as_deref(), stored.and_then(|f| f.stage.as_deref())),
        attributes,
        segment: segment.as_deref(),
        exposures: stored.map(|f| f.exposures.clone()).unwrap_or_default(),
    };
    let decisions = decide::decide(snapshot, &view, request.experiments.as_deref());
    let facts = (&view.attributes, view.segment);
    let shipped = decide::shipped(snapshot, view.id, view.stage, facts, request.experiments.as_deref());
    let proposed = decisions.iter().filter(|d| d.new_exposure).count();
    let read_all = settle == Settle::WriteOnly && proposed < request.at_stage(snapshot).count();
    let mut members = stored.map(|f| f.members.clone()).unwrap_or_default();
    let member = membership(snapshot, request, view.stage, &members);
    if let Some(m) = &member {
        // Once the write is done, the membership is stored (by it or by a concurrent one).
        members.push(m.stage.clone());
    }
    let known = Known { exposures: view.exposures, attributes: view.attributes, segment, members };
    Plan { settle, decisions, update, member, read_all, known: Some(known), shipped }
}

/// The programme membership a request records (CONTRACT §9): at a stage where an experiment is
/// running or shipped, once per customer and stage, held out or not.
fn membership(snapshot: &Snapshot, request: &Parsed, stage: Option<&str>, recorded: &[String]) -> Option<NewMember> {
    let stage = stage.filter(|s| snapshot.in_programme(s) && !recorded.iter().any(|r| r == s))?;
    let share = snapshot.lifecycle.holdout;
    Some(NewMember {
        customer_id: request.customer_id.clone(),
        stage: stage.to_string(),
        held_out: decide::in_holdout(share, &request.customer_id),
        holdout_share: share,
        first_seen_at: request.at,
    })
}

/// What one call writes in one group commit.
#[derive(Debug, Default)]
pub struct WriteBatch {
    /// Attribute and segment updates, in request order.
    pub customers: Vec<CustomerUpdate>,
    /// Proposed first exposures, one per customer and experiment (the first request's).
    pub exposures: Vec<NewExposure>,
    /// Programme memberships to record (a customer named twice at a stage is recorded once).
    pub members: Vec<NewMember>,
    /// Customers whose every stored exposure the write returns.
    pub read_all: Vec<String>,
}

impl WriteBatch {
    /// The batch of a call's plans (`requests[i]` is planned by `plans[i]`).
    pub fn of(requests: &[Parsed], plans: &mut [Plan]) -> WriteBatch {
        let mut batch = WriteBatch::default();
        let mut proposed: HashSet<(&str, i64)> = HashSet::new();
        let mut members: HashSet<(String, String)> = HashSet::new();
        for (request, plan) in requests.iter().zip(plans.iter_mut()) {
            batch.customers.extend(plan.update.take());
            if let Some(m) = plan.member.take() {
                if members.insert((m.customer_id.clone(), m.stage.clone())) {
                    batch.members.push(m);
                }
            }
            if plan.read_all {
                batch.read_all.push(request.customer_id.clone());
            }
            for d in plan.decisions.iter().filter(|d| d.new_exposure) {
                if proposed.insert((&request.customer_id, d.experiment.id)) {
                    batch.exposures.push(NewExposure {
                        customer_id: request.customer_id.clone(),
                        experiment_id: d.experiment.id,
                        variant_id: d.experiment.variants[d.variant].id,
                        is_override: d.is_override,
                        exposed_at: request.at,
                    });
                }
            }
        }
        batch
    }

    /// Whether there is nothing to write (every answer came from the cache or needs no write).
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty() && self.exposures.is_empty() && self.members.is_empty() && self.read_all.is_empty()
    }

    /// Whether the batch only merges attributes: no answer depends on its commit (a membership
    /// must be stored before the 200).
    pub fn only_updates(&self) -> bool {
        self.exposures.is_empty() && self.members.is_empty() && self.read_all.is_empty()
    }
}

#[cfg(test)]
mod tests;
