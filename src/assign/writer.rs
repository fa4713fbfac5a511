//! Group commit for first exposures.
//!
//! Requests hand their new exposures to a bounded queue and wait. The writer (one by default; see
//! `AppState::start`), on its own thread, takes everything queued (up to a limit), stores it in one
//! statement or transaction and answers every waiting request after the commit. While one batch
//! commits the next one fills, so under load one commit (and one WAL flush) serves many requests,
//! and an answered request's exposure is durably stored.

use crate::db::models::exposures::{self, CustomerUpdate, NewExposure};
use crate::db::{Pool, SetupError};
use crate::http::metrics::Metrics;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Mutex};

pub use crate::db::models::exposures::Stored;

/// Most requests merged into one commit.
const MAX_JOBS_PER_BATCH: usize = 512;

/// Why exposures could not be stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The queue is full: shed load rather than grow memory.
    #[error("too many assignments are waiting to be stored")]
    Overloaded,
    /// The database failed; nothing of the batch was stored.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
}

struct Job {
    customers: Vec<CustomerUpdate>,
    exposures: Vec<NewExposure>,
    /// Customers whose every stored exposure to return (besides the ones `exposures` asks for).
    full: Vec<String>,
    queued_at: Instant,
    reply: oneshot::Sender<Result<Stored, WriteError>>,
}

/// The handle requests use to store exposures.
#[derive(Clone)]
pub struct ExposureWriter {
    tx: mpsc::Sender<Job>,
    /// Jobs queued or being stored.
    pending: Arc<AtomicUsize>,
}

impl ExposureWriter {
    /// Starts `writers` writers on `database_url` with a queue of `capacity` requests. Each runs
    /// on its own thread with its own runtime and connection, so that no other task (a report, a
    /// refresh) can hold up a commit that requests are waiting for.
    pub fn start(
        database_url: &str,
        writers: usize,
        capacity: usize,
        metrics: Metrics,
    ) -> Result<ExposureWriter, SetupError> {
        let (tx, rx) = mpsc::channel(capacity);
        let rx = Arc::new(Mutex::new(rx));
        let pending = Arc::new(AtomicUsize::new(0));
        for i in 0..writers.max(1) {
            let pool = crate::db::build_keyed_pool(database_url, 1)?;
            let (rx, metrics, pending) = (rx.clone(), metrics.clone(), pending.clone());
            let (started, start) = std::sync::mpsc::sync_channel(1);
            let spawned = std::thread::Builder::new().name(format!("exposure-writer-{i}")).spawn(move || {
                match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => {
                        let _ = started.send(Ok(()));
                        runtime.block_on(run(rx, pool, metrics, pending));
                    }
                    Err(e) => {
                        let _ = started.send(Err(e.to_string()));
                    }
                }
            });
            let failed = |e: String| SetupError::Connect(format!("cannot start the exposure writer: {e}"));
            spawned.map_err(|e| failed(e.to_string()))?;
            start.recv().map_err(|e| failed(e.to_string()))?.map_err(failed)?;
        }
        Ok(ExposureWriter { tx, pending })
    }

    /// Jobs queued or being stored right now.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    /// Waits until every queued job is stored (or failed), at most `limit`; `false` on timeout.
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

    /// Stores the customers' attribute updates and first exposures. Once committed, returns the
    /// stored row of each of `exposures` (this write's, or one stored before: it wins) and every
    /// stored exposure of the customers in `full`.
    pub async fn write(
        &self,
        customers: Vec<CustomerUpdate>,
        exposures: Vec<NewExposure>,
        full: Vec<String>,
    ) -> Result<Stored, WriteError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { customers, exposures, full, queued_at: Instant::now(), reply };
        self.pending.fetch_add(1, Ordering::AcqRel);
        self.tx.try_send(job).map_err(|e| {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(_) => WriteError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => WriteError::Unavailable("the writer stopped".into()),
            }
        })?;
        answer.await.unwrap_or_else(|_| Err(WriteError::Unavailable("the writer stopped".into())))
    }
}

async fn run(rx: Arc<Mutex<mpsc::Receiver<Job>>>, pool: Pool, metrics: Metrics, pending: Arc<AtomicUsize>) {
    while let Some(jobs) = super::batch::next(&rx, MAX_JOBS_PER_BATCH).await {
        let (customers, exposures) = merge(&jobs);
        for job in &jobs {
            metrics.exposure_wait.observe(job.queued_at.elapsed().as_secs_f64());
        }
        metrics.exposure_batch.observe(exposures.len() as f64);
        let mut full: Vec<&str> = jobs.iter().flat_map(|j| j.full.iter().map(String::as_str)).collect();
        full.sort_unstable();
        full.dedup();
        let result = match pool.get().await {
            Ok(mut conn) => exposures::write_batch(&mut conn, &customers, &exposures, &full)
                .await
                .map_err(|e| WriteError::Unavailable(e.to_string())),
            Err(e) => Err(WriteError::Unavailable(e.to_string())),
        };
        if let Err(e) = &result {
            tracing::error!(error = %e, jobs = jobs.len(), "storing exposures failed");
        }
        // Each job gets the stored exposures of its own customers. A row inserted once is new for
        // one request only, even when several asked for it.
        let mut reported: HashSet<(&str, i64)> = HashSet::new();
        let answers: Vec<Result<Stored, WriteError>> = jobs
            .iter()
            .map(|job| {
                let stored = result.as_ref().map_err(Clone::clone)?;
                let mut mine = Stored::default();
                let asked: HashSet<(&str, i64)> =
                    job.exposures.iter().map(|e| (e.customer_id.as_str(), e.experiment_id)).collect();
                let mut ids: Vec<&str> = job
                    .exposures
                    .iter()
                    .map(|e| e.customer_id.as_str())
                    .chain(job.full.iter().map(String::as_str))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    for s in stored.of(id) {
                        let new =
                            s.new && asked.contains(&(id, s.experiment_id)) && reported.insert((id, s.experiment_id));
                        mine.add(id, exposures::StoredExposure { new, ..*s });
                    }
                }
                Ok(mine)
            })
            .collect();
        for (job, answer) in jobs.into_iter().zip(answers) {
            let _ = job.reply.send(answer);
            pending.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// One row per customer (attributes merged in arrival order) and per (customer, experiment): a
/// single statement may not touch a row twice.
fn merge(jobs: &[Job]) -> (Vec<CustomerUpdate>, Vec<NewExposure>) {
    let mut customers: Vec<CustomerUpdate> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for update in jobs.iter().flat_map(|j| &j.customers) {
        match index.get(update.customer_id.as_str()) {
            Some(&i) => {
                let merged = &mut customers[i];
                if let (Some(into), Some(from)) = (merged.attributes.as_object_mut(), update.attributes.as_object()) {
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
    let mut seen = HashSet::new();
    let mut exposures: Vec<NewExposure> = jobs
        .iter()
        .flat_map(|j| &j.exposures)
        .filter(|e| seen.insert((e.customer_id.as_str(), e.experiment_id)))
        .cloned()
        .collect();
    // One lock order for every writer and for event ingestion (customer id order), so that
    // concurrent transactions on the same customers wait for each other instead of deadlocking.
    customers.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    exposures.sort_by(|a, b| (&a.customer_id, a.experiment_id).cmp(&(&b.customer_id, b.experiment_id)));
    (customers, exposures)
}
