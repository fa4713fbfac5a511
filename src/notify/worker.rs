//! The delivery worker: claims due deliveries (see [`crate::db::models::deliveries`]), posts
//! each signed, and records the answer: delivered on a 2xx, otherwise retried with exponential
//! backoff until 24 hours have passed. At least once: a delivery is marked delivered only after
//! its receiver answered 2xx, and a node that dies mid-send leaves it to be retried after the
//! lease.

use crate::db::models::deliveries::{self, Claimed, Outcome};
use crate::db::Pool;
use crate::domain::notice::{signature, Notice};
use crate::domain::webhook::next_attempt;
use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a receiver has to answer; a slower one is a failed attempt.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How long a claimed delivery is left to its node before another may take it.
const LEASE: Duration = Duration::from_secs(60);

/// Time between two looks for due deliveries when there were none.
const POLL: Duration = Duration::from_millis(500);

/// Sends due deliveries until the runtime stops: at most [`IN_FLIGHT`] at once, each on its own
/// task, so that a receiver that is slow to answer holds up nothing but its own delivery.
#[derive(Clone)]
pub struct DeliveryWorker {
    pool: Pool,
    http: reqwest::Client,
    retry_base: chrono::Duration,
    slots: Arc<Semaphore>,
    metrics: Metrics,
}

/// Deliveries in flight at once on one node.
pub const IN_FLIGHT: usize = 16;

impl DeliveryWorker {
    /// A worker on `pool` whose first retry comes `retry_base` after a failure.
    pub fn new(pool: Pool, retry_base: Duration, metrics: Metrics) -> Result<DeliveryWorker, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A redirect is an answer that is not 2xx: retried, never followed elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("stagelab/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let retry_base = chrono::Duration::from_std(retry_base).unwrap_or(chrono::Duration::seconds(5));
        Ok(DeliveryWorker { pool, http, retry_base, slots: Arc::new(Semaphore::new(IN_FLIGHT)), metrics })
    }

    /// Runs forever: claims as many due deliveries as there are free slots and starts sending
    /// each; waits when nothing is due.
    pub async fn run(self) {
        loop {
            match self.pass().await {
                Ok(0) => tokio::time::sleep(POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "webhook deliveries cannot be claimed; will retry");
                    tokio::time::sleep(POLL * 4).await;
                }
            }
        }
    }

    /// Claims up to the free slots' worth of due deliveries and starts them; returns how many.
    async fn pass(&self) -> Result<usize, String> {
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let claimed = {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            deliveries::claim(&mut conn, free as i64, LEASE.as_millis() as i64).await.map_err(|e| e.to_string())?
        };
        let count = claimed.len();
        for delivery in claimed {
            let Ok(slot) = self.slots.clone().try_acquire_owned() else { break };
            let worker = self.clone();
            tokio::spawn(async move {
                worker.attempt(delivery).await;
                drop(slot);
            });
        }
        Ok(count)
    }

    async fn attempt(&self, delivery: Claimed) {
        let outcome = match self.send(&delivery).await {
            Ok(status) if (200..300).contains(&status) => Outcome::Delivered(status),
            result => {
                let (status, error) = match result {
                    Ok(status) => (Some(status), format!("the receiver answered {status}")),
                    Err(error) => (None, error),
                };
                let next = next_attempt(delivery.created_at, delivery.attempts, chrono::Utc::now(), self.retry_base);
                tracing::info!(delivery = delivery.id, attempts = delivery.attempts, %error, retry = next.is_some(),
                    "webhook delivery failed");
                Outcome::Failed { status, error, next }
            }
        };
        let label = match &outcome {
            Outcome::Delivered(_) => "delivered",
            Outcome::Failed { next: Some(_), .. } => "retried",
            Outcome::Failed { next: None, .. } => "failed",
        };
        self.metrics.webhook_deliveries.with_label_values(&[label]).inc();
        // If this cannot be recorded, the lease runs out and the delivery is tried again.
        let recorded = match self.pool.get().await {
            Ok(mut conn) => {
                let recorded = deliveries::record(&mut conn, delivery.id, delivery.attempts, &outcome).await;
                match recorded {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("a later attempt was claimed meanwhile (this one outlived its lease)".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = recorded {
            tracing::warn!(delivery = delivery.id, error = %e, "a webhook delivery's outcome cannot be recorded");
        }
    }

    /// Posts the delivery; its status, or why there was none. The URL is not logged (it may hold
    /// a token in its path), and neither is the secret.
    async fn send(&self, delivery: &Claimed) -> Result<i32, String> {
        let notice: Notice = serde_json::from_value(delivery.body.clone()).map_err(|e| e.to_string())?;
        let body = if delivery.format == "slack" { notice.slack() } else { delivery.body.clone() };
        let bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let answer = self
            .http
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Stagelab-Signature", signature(&delivery.secret, &bytes))
            .header("X-Stagelab-Event", notice.kind.as_str())
            .header("X-Stagelab-Delivery", notice.id.to_string())
            .body(bytes)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(i32::from(answer.status().as_u16()))
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "the receiver cannot be reached".to_string()
    } else {
        "the request failed".to_string()
    }
}
