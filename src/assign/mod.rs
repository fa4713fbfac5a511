//! Assignment: which variant each customer gets (CONTRACT §4 `POST /api/v1/assignments`).
//!
//! The hot path per request: read the in-memory [`snapshot`] (no query of definitions), look up the
//! customers' stored stage, attributes and exposures in one query, [`decide`] in memory, and store
//! first exposures through the group-commit [`writer`] before answering.

mod batch;
pub mod bucket;
pub mod decide;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod known;
pub mod lookup;
pub mod refresh;
pub mod snapshot;
pub mod writer;

use crate::db::models::exposures::{CustomerUpdate, NewExposure};
use crate::events::MAX_FUTURE_SECONDS;
use crate::http::metrics::Metrics;
use chrono::{DateTime, Utc};
use decide::{CustomerView, Decision};
use known::{Known, KnownCustomers};
use lookup::FactsLoader;
use refresh::ConfigCache;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use snapshot::ActiveExperiment;
use std::sync::Arc;
use writer::{ExposureWriter, WriteError};

/// Most customers in one batch request.
pub const MAX_BATCH: usize = 1_000;

/// One customer to assign.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "c-1", "stage": "acquisition", "attributes": {"country": "JP"}}))]
pub struct AssignRequest {
    /// The store's customer id.
    pub customer_id: String,
    /// The customer's stage now, when the storefront knows it.
    #[serde(default)]
    pub stage: Option<String>,
    /// Attributes to target on; merged into the stored ones.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// The customer's segment, when the storefront knows it.
    #[serde(default)]
    pub segment: Option<String>,
    /// Only these experiments.
    #[serde(default)]
    pub experiments: Option<Vec<String>>,
    /// When a new exposure happened, to back-fill history: RFC 3339, at most 5 minutes ahead.
    /// Only admin keys may send it (the handler checks); a stored exposure keeps its time.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

impl AssignRequest {
    /// The back-dated exposure time, once [`validate`] has accepted `at`.
    fn exposed_at(&self) -> Option<DateTime<Utc>> {
        let at = self.at.as_deref()?;
        DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
    }
}

/// One assignment in a response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    /// Experiment key.
    pub experiment: String,
    /// Variant key.
    pub variant: String,
    /// What to show.
    pub payload: Value,
    /// Present (true) when forced by a QA override.
    #[serde(rename = "override", skip_serializing_if = "std::ops::Not::not")]
    pub is_override: bool,
}

/// The answer for one customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignResponse {
    /// The customer.
    pub customer_id: String,
    /// Their assignments, by experiment key.
    pub assignments: Vec<Assignment>,
}

/// Why assignment failed.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// Invalid requests: one detail per problem (`index`, `field`, `message`).
    #[error("invalid assignment request")]
    Invalid(Vec<Value>),
    /// Storage failed or is overloaded: nothing was acknowledged.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The customer lookup failed.
    #[error("the database is unavailable: {0}")]
    Lookup(String),
}

/// Assigns customers to variants.
pub struct Assigner {
    /// Definitions in memory.
    pub cache: Arc<ConfigCache>,
    loader: FactsLoader,
    writer: ExposureWriter,
    known: KnownCustomers,
    metrics: Metrics,
}

impl Assigner {
    /// An assigner over a definitions cache, a started lookup batcher and a started writer,
    /// remembering up to `known_capacity` returning customers.
    pub fn new(
        cache: Arc<ConfigCache>,
        loader: FactsLoader,
        writer: ExposureWriter,
        known_capacity: usize,
        metrics: Metrics,
    ) -> Assigner {
        Assigner { cache, loader, writer, known: KnownCustomers::new(known_capacity), metrics }
    }

    /// The group-commit writer (its queue length, and draining it at shutdown).
    pub fn writer(&self) -> &ExposureWriter {
        &self.writer
    }

    /// The answer from the known-customers cache, when it decides the whole answer.
    fn answer_from_known(&self, snapshot: &snapshot::Snapshot, request: &AssignRequest) -> Option<Vec<Decision>> {
        let stage = request.stage.as_deref()?;
        let known = self.known.get(&request.customer_id)?;
        let same_facts = request.attributes.iter().all(|(k, v)| known.attributes.get(k) == Some(v))
            && request.segment.as_ref().is_none_or(|s| known.segment.as_ref() == Some(s));
        if !same_facts || !known::covers(snapshot, &request.customer_id, stage, request.experiments.as_deref(), &known)
        {
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

    /// Assigns every request; answers only after every first exposure is committed.
    pub async fn assign(&self, requests: Vec<AssignRequest>) -> Result<Vec<AssignResponse>, AssignError> {
        let snapshot = self.cache.snapshot();
        let now = Utc::now();
        let problems: Vec<Value> =
            requests.iter().enumerate().flat_map(|(i, r)| validate(i, r, &snapshot, now)).collect();
        if !problems.is_empty() {
            return Err(AssignError::Invalid(problems));
        }
        let paths: Vec<Path> = requests
            .iter()
            .map(|r| match self.answer_from_known(&snapshot, r) {
                Some(decisions) => Path::Known(decisions),
                None if writes_alone_decide(&snapshot, r) => Path::WriteOnly,
                None => Path::Lookup,
            })
            .collect();
        let mut lookup_ids: Vec<String> = requests
            .iter()
            .zip(&paths)
            .filter(|(_, p)| matches!(p, Path::Lookup))
            .map(|(r, _)| r.customer_id.clone())
            .collect();
        lookup_ids.sort_unstable();
        lookup_ids.dedup();
        let facts = if lookup_ids.is_empty() {
            Default::default()
        } else {
            self.loader.load(lookup_ids).await.map_err(AssignError::Lookup)?
        };

        let (mut updates, mut new, mut full) = (Vec::new(), Vec::new(), Vec::new());
        let mut decided: Vec<Vec<Decision>> = Vec::with_capacity(requests.len());
        let mut learned: Vec<(usize, Known)> = Vec::new();
        let mut write_only: Vec<usize> = Vec::new();
        for (i, (request, path)) in requests.iter().zip(paths).enumerate() {
            let stored = match path {
                Path::Known(decisions) => {
                    decided.push(decisions);
                    continue;
                }
                Path::WriteOnly => {
                    write_only.push(i);
                    None
                }
                Path::Lookup => Some(facts.get(&request.customer_id).cloned().unwrap_or_default()),
            };
            let mut attributes = stored.as_ref().map(|f| f.attributes.clone()).unwrap_or_default();
            // Without a lookup, given attributes are always merged (the store cannot tell what changed).
            let changed = stored.is_none() && (!request.attributes.is_empty() || request.segment.is_some())
                || request.attributes.iter().any(|(k, v)| attributes.get(k) != Some(v))
                || request
                    .segment
                    .as_ref()
                    .is_some_and(|s| stored.as_ref().and_then(|f| f.segment.as_ref()) != Some(s));
            if changed {
                updates.push(CustomerUpdate {
                    customer_id: request.customer_id.clone(),
                    attributes: Value::Object(request.attributes.clone()),
                    segment: request.segment.clone(),
                });
            }
            attributes.extend(request.attributes.clone());
            let segment = request.segment.clone().or_else(|| stored.as_ref().and_then(|f| f.segment.clone()));
            let exposures = stored.as_ref().map(|f| f.exposures.clone()).unwrap_or_default();
            let view = CustomerView {
                id: &request.customer_id,
                stage: snapshot.stage_for(request.stage.as_deref(), stored.as_ref().and_then(|f| f.stage.as_deref())),
                attributes,
                segment: segment.as_deref(),
                exposures,
            };
            let decisions = decide::decide(&snapshot, &view, request.experiments.as_deref());
            let before = new.len();
            let exposed_at = request.exposed_at();
            for d in decisions.iter().filter(|d| d.new_exposure) {
                new.push(NewExposure {
                    customer_id: request.customer_id.clone(),
                    experiment_id: d.experiment.id,
                    variant_id: d.experiment.variants[d.variant].id,
                    is_override: d.is_override,
                    exposed_at,
                });
            }
            // A write-only request whose decision leaves out an experiment at its stage (paused, or
            // the customer outside its traffic now) may still have a stored exposure to it: read them.
            if stored.is_none() && new.len() - before < request.at_stage(&snapshot).count() {
                full.push(request.customer_id.clone());
            }
            learned.push((i, Known { exposures: view.exposures, attributes: view.attributes, segment }));
            decided.push(decisions);
        }

        let stored = if updates.is_empty() && new.is_empty() && full.is_empty() {
            Default::default()
        } else {
            self.writer.write(updates, new, full).await?
        };
        // Write-only requests: the answer is what is stored now at their stage (their new exposures,
        // or a stored one, which wins: sticky).
        for i in write_only {
            decided[i] = stored_at_stage(&snapshot, &requests[i], &stored, &decided[i]);
        }
        // Remember what is now known for sure: what was read before and what the write reported
        // (for a write-only request, only its stage's exposures; `known::covers` asks no more).
        for (i, mut known) in learned {
            let customer = &requests[i].customer_id;
            known.exposures.extend(stored.of(customer).iter().map(|s| (s.experiment_id, s.variant_id)));
            self.known.put(customer.clone(), known);
        }

        // A customer named twice in one call has one first exposure, counted once.
        let mut counted: std::collections::HashSet<(&str, i64)> = std::collections::HashSet::new();
        let responses = requests
            .iter()
            .zip(decided)
            .map(|(request, decisions)| {
                let assignments = decisions
                    .into_iter()
                    .map(|d| {
                        let experiment = &d.experiment;
                        // A concurrent first exposure may have won: its variant is the answer.
                        let written = stored.get(&request.customer_id, experiment.id);
                        let variant = match written {
                            Some(s) if !d.is_override => {
                                experiment.variants.iter().position(|v| v.id == s.variant_id).unwrap_or(d.variant)
                            }
                            _ => d.variant,
                        };
                        let variant = &experiment.variants[variant];
                        self.metrics.assignments.with_label_values(&[&experiment.key, &variant.key]).inc();
                        // Count what the write actually inserted (not a stored exposure it found).
                        if d.new_exposure
                            && written.is_none_or(|s| s.new)
                            && counted.insert((request.customer_id.as_str(), experiment.id))
                        {
                            self.metrics.exposures.with_label_values(&[&experiment.key, &variant.key]).inc();
                        }
                        Assignment {
                            experiment: experiment.key.clone(),
                            variant: variant.key.clone(),
                            payload: variant.payload.clone(),
                            is_override: d.is_override,
                        }
                    })
                    .collect();
                AssignResponse { customer_id: request.customer_id.clone(), assignments }
            })
            .collect();
        Ok(responses)
    }
}

/// How a request is answered.
enum Path {
    /// From the known-customers cache: no database.
    Known(Vec<Decision>),
    /// By the write alone: nothing stored can change the decision except a stored exposure, which
    /// the write returns.
    WriteOnly,
    /// Stored facts are needed first.
    Lookup,
}

impl AssignRequest {
    /// Whether the request's experiment filter lets this experiment through.
    fn wants(&self, key: &str) -> bool {
        self.experiments.as_deref().is_none_or(|keys| keys.iter().any(|k| k == key))
    }

    /// The experiments at the request's stage it could get (within its filter), paused ones too.
    fn at_stage<'s>(&'s self, snapshot: &'s snapshot::Snapshot) -> impl Iterator<Item = &'s Arc<ActiveExperiment>> {
        let stage = self.stage.as_deref().unwrap_or_default();
        snapshot.by_stage.get(stage).into_iter().flatten().filter(|e| self.wants(&e.key))
    }
}

/// Whether the decision for this request needs no stored facts: its stage is given, and every
/// experiment it could get at that stage has no targeting and no layer neighbour, and no override
/// names the customer. A stored exposure still wins (the write returns it).
fn writes_alone_decide(snapshot: &snapshot::Snapshot, request: &AssignRequest) -> bool {
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

/// The decisions a write-only request ends with: every stored exposure at its stage, in key order.
fn stored_at_stage(
    snapshot: &snapshot::Snapshot,
    request: &AssignRequest,
    stored: &writer::Stored,
    proposed: &[Decision],
) -> Vec<Decision> {
    request
        .at_stage(snapshot)
        .filter_map(|e| {
            let written = stored.get(&request.customer_id, e.id)?;
            let variant = e.variants.iter().position(|v| v.id == written.variant_id)?;
            let new_exposure = written.new && proposed.iter().any(|d| d.experiment.id == e.id && d.new_exposure);
            Some(Decision { experiment: e.clone(), variant, new_exposure, is_override: false })
        })
        .collect()
}

/// Every problem of one request, as `{"index", "field", "message"}`.
fn validate(index: usize, r: &AssignRequest, snapshot: &snapshot::Snapshot, now: DateTime<Utc>) -> Vec<Value> {
    let mut problems = Vec::new();
    let mut problem =
        |field: &str, message: String| problems.push(json!({"index": index, "field": field, "message": message}));
    let nul = |s: &str| s.contains('\0');
    if nul(&r.customer_id)
        || r.segment.as_deref().is_some_and(nul)
        || r.attributes.iter().any(|(k, v)| nul(k) || v.as_str().is_some_and(nul))
        || r.experiments.iter().flatten().any(|k| nul(k))
    {
        problem("", "text must not contain NUL characters (\\u0000)".into());
    }
    if r.customer_id.trim().is_empty() || r.customer_id.len() > 200 {
        problem("customer_id", "customer_id must have 1 to 200 characters".into());
    }
    if let Some(stage) = &r.stage {
        if snapshot.lifecycle.position(stage).is_none() {
            problem("stage", format!("{stage:?} is not a lifecycle stage ({})", snapshot.lifecycle.ids()));
        }
    }
    if r.attributes.len() > 100 {
        problem("attributes", "at most 100 attributes".into());
    }
    if r.attributes.iter().any(|(k, v)| {
        k.is_empty()
            || k.len() > 100
            || matches!(v, Value::Object(_) | Value::Array(_))
            || v.as_str().is_some_and(|s| s.len() > 1_000)
    }) {
        problem(
            "attributes",
            "attributes map names (1 to 100 characters) to strings (up to 1,000), numbers, booleans or null".into(),
        );
    }
    if r.segment.as_ref().is_some_and(|s| s.is_empty() || s.len() > 100) {
        problem("segment", "segment must have 1 to 100 characters".into());
    }
    if let Some(keys) = &r.experiments {
        if keys.len() > 100 || keys.iter().any(|k| k.is_empty() || k.len() > 63) {
            problem("experiments", "experiments lists up to 100 experiment keys".into());
        }
    }
    if let Some(at) = &r.at {
        match DateTime::parse_from_rfc3339(at) {
            Err(_) => problem("at", format!("{at:?} is not an RFC 3339 time such as \"2026-11-23T10:00:00Z\"")),
            Ok(t) if t.with_timezone(&Utc) > now + chrono::Duration::seconds(MAX_FUTURE_SECONDS) => {
                problem("at", format!("{at} is more than 5 minutes in the future"))
            }
            Ok(_) => {}
        }
    }
    problems
}
