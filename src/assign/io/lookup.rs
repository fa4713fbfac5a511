//! Group lookup of customer facts: concurrent calls share one query
//! (`… WHERE customer_id = ANY($1)`) instead of one round trip each.

use super::StoreError;
use crate::assign::plan::Facts;
use crate::db::models::exposures;
use crate::db::Pool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most calls whose customers are looked up in one query.
const MAX_JOBS_PER_QUERY: usize = 256;

/// One waiting call: the customers it needs.
struct Job {
    ids: Vec<String>,
    reply: oneshot::Sender<Result<Arc<Facts>, StoreError>>,
}

/// The handle calls use to look customers up (cheap to clone).
#[derive(Clone)]
pub struct FactsLoader {
    tx: mpsc::Sender<Job>,
}

impl FactsLoader {
    /// Starts `loaders` lookup tasks on the current runtime, each holding a connection of `pool`
    /// while it queries, with a queue of `capacity` calls.
    pub fn start(pool: Pool, loaders: usize, capacity: usize) -> FactsLoader {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        // The loaders take turns at the queue: whoever is idle takes everything waiting.
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..loaders.max(1) {
            tokio::spawn(run(rx.clone(), pool.clone()));
        }
        FactsLoader { tx }
    }

    /// The stored facts of these customers (never-stored customers are absent). The map holds
    /// the customers of every call in the same query; each call picks its own.
    pub async fn load(&self, ids: Vec<String>) -> Result<Arc<Facts>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx.try_send(Job { ids, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => StoreError::Stopped("lookup"),
        })?;
        answer.await.unwrap_or(Err(StoreError::Stopped("lookup")))
    }
}

async fn run(rx: Arc<Mutex<mpsc::Receiver<Job>>>, pool: Pool) {
    let mut jobs = Vec::with_capacity(MAX_JOBS_PER_QUERY);
    while rx.lock().await.recv_many(&mut jobs, MAX_JOBS_PER_QUERY).await > 0 {
        let mut ids: Vec<String> = jobs.iter().flat_map(|j| j.ids.iter().cloned()).collect();
        ids.sort_unstable();
        ids.dedup();
        let result = query(&pool, &ids).await;
        if let Err(e) = &result {
            // Logged once here, for every call of the query.
            e.log("looking up customers failed", jobs.len());
        }
        for job in jobs.drain(..) {
            let _ = job.reply.send(result.clone());
        }
    }
}

async fn query(pool: &Pool, ids: &[String]) -> Result<Arc<Facts>, StoreError> {
    let mut conn = pool.get().await?;
    Ok(Arc::new(exposures::facts(&mut conn, ids).await?))
}
