//! Assignment: which variant each customer gets (CONTRACT §4 `POST /api/v1/assignments`).
//!
//! One call (a request, or a batch of them) goes through a pipeline of named values, read top
//! to bottom in [`Assigner::assign`]:
//!
//! 1. [`request::parse`]: the requests as sent → [`Parsed`] requests (typed `at`) or every
//!    [`Problem`](crate::events::Problem);
//! 2. [`plan::route`]: per customer, answered from the known-customers cache, by the write
//!    alone, or after a lookup of the stored facts ([`io::lookup`], batched across calls);
//! 3. [`plan::plan`] and [`plan::WriteBatch`]: the proposed decisions ([`decide`], pure, on the
//!    in-memory [`snapshot`]) and the one batch of attribute updates and first exposures;
//! 4. [`io::writer`]: group commit of the batch → the stored rows;
//! 5. [`reconcile::reconcile`]: the only place that settles which variant won and which first
//!    exposures are new;
//! 6. the answer, after which every first exposure is committed.
//!
//! Everything but [`io`] is pure: no diesel, tokio or actix.

mod answer;
pub mod bucket;
pub mod decide;
mod error;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod io;
pub mod known;
pub mod plan;
pub mod reconcile;
pub mod request;
pub mod snapshot;

pub use answer::{AssignResponse, Assignment};
pub use error::AssignError;
pub use io::listener::ConfigCache;
pub use io::StoreError;
pub use request::{AssignRequest, Parsed, MAX_BATCH};

use crate::metrics::Metrics;
use io::lookup::FactsLoader;
use io::writer::ExposureWriter;
use known::KnownCustomers;
use plan::{Facts, Plan, Route, WriteBatch};
use reconcile::Settled;
use snapshot::ShippedExperiment;
use std::sync::Arc;

/// Assigns customers to variants.
pub struct Assigner {
    /// Definitions in memory.
    pub cache: Arc<ConfigCache>,
    loader: FactsLoader,
    writer: ExposureWriter,
    known: Arc<KnownCustomers>,
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
        Assigner { cache, loader, writer, known: Arc::new(KnownCustomers::new(known_capacity)), metrics }
    }

    /// The group-commit writer (its queue length, and draining it at shutdown).
    pub fn writer(&self) -> &ExposureWriter {
        &self.writer
    }

    /// Assigns every request; answers only after every first exposure is committed.
    pub async fn assign(&self, requests: Vec<AssignRequest>) -> Result<Vec<AssignResponse>, AssignError> {
        let snapshot = self.cache.snapshot();
        let requests = request::parse(requests, &snapshot, chrono::Utc::now()).map_err(AssignError::Invalid)?;
        let routes: Vec<Route> = requests
            .iter()
            .map(|r| {
                let known = r.stage.as_ref().and_then(|_| self.known.get(&r.customer_id));
                plan::route(&snapshot, r, known.as_deref())
            })
            .collect();
        let facts = self.look_up(&requests, &routes).await?;
        let mut plans: Vec<Plan> =
            requests.iter().zip(routes).map(|(r, route)| plan::plan(&snapshot, r, route, &facts)).collect();
        let batch = WriteBatch::of(&requests, &mut plans);
        let shipped: Vec<_> = plans.iter_mut().map(|p| std::mem::take(&mut p.shipped)).collect();
        if !batch.is_empty() && batch.only_updates() {
            // Attribute updates alone: answered now; what they store is remembered once stored.
            let reconciled = reconcile::reconcile(&snapshot, &requests, plans, &Default::default());
            let (known, learned) = (self.known.clone(), reconciled.learned);
            self.writer.write_detached(batch, &self.metrics, move || {
                for (customer, k) in learned {
                    known.put(customer, k);
                }
            });
            let answers = requests.into_iter().zip(reconciled.answers).zip(shipped);
            return Ok(answers.map(|((r, settled), shipped)| self.answer(r, settled, shipped)).collect());
        }
        let outcome = if batch.is_empty() { Default::default() } else { self.writer.write(batch).await? };
        let reconciled = reconcile::reconcile(&snapshot, &requests, plans, &outcome);
        for (customer, known) in reconciled.learned {
            self.known.put(customer, known);
        }
        let answers = requests.into_iter().zip(reconciled.answers).zip(shipped);
        Ok(answers.map(|((r, settled), shipped)| self.answer(r, settled, shipped)).collect())
    }

    /// The stored facts of the customers routed to a lookup, in one batched query.
    async fn look_up(&self, requests: &[Parsed], routes: &[Route]) -> Result<Arc<Facts>, StoreError> {
        let mut ids: Vec<String> = requests
            .iter()
            .zip(routes)
            .filter(|(_, route)| matches!(route, Route::Lookup))
            .map(|(r, _)| r.customer_id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        ids.sort_unstable();
        ids.dedup();
        self.loader.load(ids).await
    }

    /// One customer's answer (running and shipped experiments in key order), counted in the metrics.
    fn answer(&self, request: Parsed, settled: Vec<Settled>, shipped: Vec<Arc<ShippedExperiment>>) -> AssignResponse {
        let mut assignments: Vec<Assignment> = settled
            .into_iter()
            .map(|s| {
                let (experiment, variant) = (&s.experiment, &s.experiment.variants[s.variant]);
                self.metrics.assignments.with_label_values(&[&experiment.key, &variant.key]).inc();
                if s.first_exposure {
                    self.metrics.exposures.with_label_values(&[&experiment.key, &variant.key]).inc();
                }
                Assignment {
                    experiment: experiment.key.clone(),
                    variant: variant.key.clone(),
                    payload: variant.payload.clone(),
                    is_override: s.is_override,
                    shipped: false,
                }
            })
            .collect();
        if !shipped.is_empty() {
            for e in shipped {
                self.metrics.assignments.with_label_values(&[&e.key, &e.variant]).inc();
                let (experiment, variant) = (e.key.clone(), e.variant.clone());
                assignments.push(Assignment {
                    experiment,
                    variant,
                    payload: e.payload.clone(),
                    is_override: false,
                    shipped: true,
                });
            }
            assignments.sort_by(|a, b| a.experiment.cmp(&b.experiment));
        }
        AssignResponse { customer_id: request.customer_id, assignments }
    }
}
