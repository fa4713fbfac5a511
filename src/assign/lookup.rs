//! Group lookup of customer facts: concurrent requests share one query
//! (`… FROM unnest($1::text[])`) instead of one round trip each.

use super::batch;
use crate::db::models::exposures::{self, CustomerFacts};
use crate::db::Pool;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most requests whose customers are looked up in one query.
const MAX_JOBS_PER_QUERY: usize = 256;

/// Facts of the customers of a whole batch (each request picks its own).
pub type Facts = Arc<HashMap<String, CustomerFacts>>;

struct Job {
    ids: Vec<String>,
    reply: oneshot::Sender<Result<Facts, String>>,
}

/// The handle requests use to look customers up.
#[derive(Clone)]
pub struct FactsLoader {
    tx: mpsc::Sender<Job>,
}

impl FactsLoader {
    /// Starts `loaders` lookup tasks on the current runtime.
    pub fn start(pool: Pool, loaders: usize, capacity: usize) -> FactsLoader {
        let (tx, rx) = mpsc::channel(capacity);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..loaders.max(1) {
            tokio::spawn(run(rx.clone(), pool.clone()));
        }
        FactsLoader { tx }
    }

    /// The stored facts of these customers (absent customers are left out).
    pub async fn load(&self, ids: Vec<String>) -> Result<Facts, String> {
        let (reply, answer) = oneshot::channel();
        self.tx.try_send(Job { ids, reply }).map_err(|_| "too many lookups are waiting".to_string())?;
        answer.await.unwrap_or_else(|_| Err("the lookup task stopped".into()))
    }
}

async fn run(rx: Arc<Mutex<mpsc::Receiver<Job>>>, pool: Pool) {
    while let Some(jobs) = batch::next(&rx, MAX_JOBS_PER_QUERY).await {
        let mut ids: Vec<String> = jobs.iter().flat_map(|j| j.ids.iter().cloned()).collect();
        ids.sort_unstable();
        ids.dedup();
        let result = match pool.get().await {
            Ok(mut conn) => exposures::facts(&mut conn, &ids).await.map(Arc::new).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        for job in jobs {
            let _ = job.reply.send(result.clone());
        }
    }
}
