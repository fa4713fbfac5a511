//! Group commit for first exposures.
//!
//! Each call hands its [`WriteBatch`] to a bounded queue and waits. The writer, on its own thread
//! with its own runtime and connection (so that no report or refresh can hold up a commit that
//! requests wait for), takes everything queued (up to a limit), stores it in one statement or
//! transaction and answers every waiting call after the commit. While one batch commits the next
//! one fills, so under load one commit (and one WAL flush) serves many requests, and an answered
//! request's exposure is durably stored.

use super::StoreError;
use crate::assign::plan::WriteBatch;
use crate::db::models::exposures::{self, CustomerUpdate, NewExposure, NewMember, Stored, StoredExposure};
use crate::db::{Pool, SetupError};
use crate::metrics::Metrics;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Most calls merged into one commit.
const MAX_JOBS_PER_BATCH: usize = 512;

/// One waiting call.
struct Job {
    batch: WriteBatch,
    queued_at: Instant,
    reply: oneshot::Sender<Result<Stored, StoreError>>,
}

/// The handle calls use to store their batches (cheap to clone).
#[derive(Clone)]
pub struct ExposureWriter {
    tx: mpsc::Sender<Job>,
    /// Jobs queued or being stored.
    pending: Arc<AtomicUsize>,
}

impl ExposureWriter {
    /// Starts the writer on `database_url` with a queue of `capacity` calls.
    pub fn start(database_url: &str, capacity: usize, metrics: Metrics) -> Result<ExposureWriter, SetupError> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let pending = Arc::new(AtomicUsize::new(0));
        let pool = crate::db::build_keyed_pool(database_url, 1)?;
        let failed = |e: String| SetupError::Connect(format!("cannot start the exposure writer: {e}"));
        let (started, start) = std::sync::mpsc::sync_channel(1);
        let counter = pending.clone();
        std::thread::Builder::new()
            .name("exposure-writer".into())
            .spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => {
                    let _ = started.send(Ok(()));
                    runtime.block_on(run(rx, pool, metrics, counter));
                }
                Err(e) => {
                    let _ = started.send(Err(e.to_string()));
                }
            })
            .map_err(|e| failed(e.to_string()))?;
        start.recv().map_err(|e| failed(e.to_string()))?.map_err(failed)?;
        Ok(ExposureWriter { tx, pending })
    }

    /// Calls queued or being stored right now.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    /// Waits until every queued call is stored (or failed), at most `limit`; `false` on timeout.
    /// Used at shutdown, after the server stopped taking requests.
    pub async fn drain(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.pending() > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Stores the batch's attribute updates and first exposures. Once committed, returns the
    /// stored row of each of its exposures (new when this call's proposal was inserted; else the
    /// row stored before, which wins) and every stored exposure of its `read_all` customers.
    pub async fn write(&self, batch: WriteBatch) -> Result<Stored, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.pending.fetch_add(1, Ordering::AcqRel);
        self.tx.try_send(Job { batch, queued_at: Instant::now(), reply }).map_err(|e| {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => StoreError::Stopped("writer"),
            }
        })?;
        answer.await.unwrap_or(Err(StoreError::Stopped("writer")))
    }

    /// Queues a batch of attribute updates alone (no exposure, nothing to read back) and returns
    /// without waiting for its commit: no answer depends on it, and the storefront sends a
    /// customer's attributes again with each request. `committed` runs once the batch is stored
    /// (so that what it stored may be remembered), and never if it is not. A full queue drops the
    /// batch (counted).
    pub fn write_detached(&self, batch: WriteBatch, metrics: &Metrics, committed: impl FnOnce() + Send + 'static) {
        debug_assert!(batch.only_updates());
        let (reply, answer) = oneshot::channel();
        self.pending.fetch_add(1, Ordering::AcqRel);
        if self.tx.try_send(Job { batch, queued_at: Instant::now(), reply }).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            metrics.attribute_updates_dropped.inc();
            return;
        }
        tokio::spawn(async move {
            if let Ok(Ok(_)) = answer.await {
                committed();
            }
        });
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, pool: Pool, metrics: Metrics, pending: Arc<AtomicUsize>) {
    let mut jobs = Vec::with_capacity(MAX_JOBS_PER_BATCH);
    while rx.recv_many(&mut jobs, MAX_JOBS_PER_BATCH).await > 0 {
        let merged = Merged::of(&jobs);
        for job in &jobs {
            metrics.exposure_wait.observe(job.queued_at.elapsed().as_secs_f64());
        }
        metrics.exposure_batch.observe(merged.exposures.len() as f64);
        let result = store(&pool, &merged).await;
        if let Err(e) = &result {
            // Logged once here, for the whole batch; each waiting call answers 503 or 500.
            e.log("storing exposures failed", jobs.len());
        }
        let answers: Vec<_> = (0..jobs.len())
            .map(|i| result.as_ref().map(|s| merged.share(&jobs[i], i, s)).map_err(Clone::clone))
            .collect();
        for (job, answer) in jobs.drain(..).zip(answers) {
            let _ = job.reply.send(answer);
            pending.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

async fn store(pool: &Pool, merged: &Merged<'_>) -> Result<Stored, StoreError> {
    let mut conn = pool.get().await?;
    let rows = exposures::BatchRows {
        customers: &merged.customers,
        exposures: &merged.exposures,
        members: &merged.members,
        full: &merged.read_all,
    };
    Ok(exposures::write_batch(&mut conn, rows).await?)
}

/// Every job's batch as one write: one row per customer (attributes merged in arrival order) and
/// per (customer, experiment), since a single statement may not touch a row twice.
struct Merged<'a> {
    customers: Vec<CustomerUpdate>,
    exposures: Vec<NewExposure>,
    /// One per (customer, stage): the first job's.
    members: Vec<NewMember>,
    read_all: Vec<&'a str>,
    /// The job whose proposal became each exposure row (the first to propose it).
    owner: HashMap<(&'a str, i64), usize>,
}

impl<'a> Merged<'a> {
    fn of(jobs: &'a [Job]) -> Merged<'a> {
        let mut customers: Vec<CustomerUpdate> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for update in jobs.iter().flat_map(|j| &j.batch.customers) {
            match index.get(update.customer_id.as_str()) {
                Some(&i) => {
                    let merged = &mut customers[i];
                    if let (Some(into), Some(from)) = (merged.attributes.as_object_mut(), update.attributes.as_object())
                    {
                        into.extend(from.clone());
                    }
                    if update.segment.is_some() {
                        merged.segment = update.segment.clone();
                    }
                }
                None => {
                    index.insert(&update.customer_id, customers.len());
                    customers.push(update.clone());
                }
            }
        }
        let mut owner = HashMap::new();
        let mut exposures = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            for e in &job.batch.exposures {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    owner.entry((e.customer_id.as_str(), e.experiment_id))
                {
                    slot.insert(i);
                    exposures.push(e.clone());
                }
            }
        }
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut members: Vec<NewMember> = Vec::new();
        for m in jobs.iter().flat_map(|j| &j.batch.members) {
            if seen.insert((&m.customer_id, &m.stage)) {
                members.push(m.clone());
            }
        }
        members.sort_by(|a, b| (&a.customer_id, &a.stage).cmp(&(&b.customer_id, &b.stage)));
        // One lock order for the writer and for event ingestion (customer id order), so that
        // concurrent transactions on the same customers wait for each other instead of deadlocking.
        customers.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        exposures.sort_by(|a, b| (&a.customer_id, a.experiment_id).cmp(&(&b.customer_id, b.experiment_id)));
        let mut read_all: Vec<&str> = jobs.iter().flat_map(|j| j.batch.read_all.iter().map(String::as_str)).collect();
        read_all.sort_unstable();
        read_all.dedup();
        Merged { customers, exposures, members, read_all, owner }
    }

    /// Job `i`'s part of the stored rows: those of its customers, new only where its own proposal
    /// was inserted.
    fn share(&self, job: &Job, i: usize, stored: &Stored) -> Stored {
        let batch = &job.batch;
        let ids: HashSet<&str> = batch
            .exposures
            .iter()
            .map(|e| e.customer_id.as_str())
            .chain(batch.read_all.iter().map(String::as_str))
            .collect();
        let mut mine = Stored::default();
        for id in ids {
            for s in stored.of(id) {
                let new = s.new && self.owner.get(&(id, s.experiment_id)) == Some(&i);
                mine.add(id, StoredExposure { new, ..*s });
            }
        }
        mine
    }
}
