//! Reports as a service: at most a few computed at once (each is one heavy query), and the
//! background job that keeps the outcome rows of running experiments current so that a report
//! usually has little left to do.

use super::{compute, refresh, Report};
use crate::db::Pool;
use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Why a report could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No database connection.
    #[error(transparent)]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    /// The query failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// The service is shutting down.
    #[error("the service is shutting down")]
    Closed,
}

/// The report slots and what computing a report needs (cheap to clone).
#[derive(Clone)]
pub struct Reports {
    pool: Pool,
    metrics: Metrics,
    slots: Arc<Semaphore>,
}

impl Reports {
    /// Reports on `pool`, at most `slots` computed at the same time; more wait their turn.
    pub fn new(pool: Pool, metrics: Metrics, slots: usize) -> Reports {
        Reports { pool, metrics, slots: Arc::new(Semaphore::new(slots.max(1))) }
    }

    /// The report of experiment `key` now (`None`: no such experiment), computed when a slot is
    /// free, so that page views cannot pile heavy queries onto the database.
    pub async fn report(&self, key: &str) -> Result<Option<Report>, ReportError> {
        let _slot = self.slots.acquire().await.map_err(|_| ReportError::Closed)?;
        let mut conn = self.pool.get().await?;
        let Some(computed) = compute(&mut conn, key, chrono::Utc::now()).await? else {
            return Ok(None);
        };
        self.observe(computed.refresh.full, computed.refresh_time);
        Ok(Some(computed.report))
    }

    fn observe(&self, full: bool, took: Duration) {
        let kind = if full { "full" } else { "incremental" };
        self.metrics.outcome_refresh.with_label_values(&[kind]).observe(took.as_secs_f64());
    }

    /// Keeps the outcome rows of the experiments `running()` names current, one pass every
    /// `period`, until the runtime stops. Each experiment takes a report slot. While first
    /// exposures arrive through this node faster than [`BUSY_EXPOSURES_PER_SECOND`], passes wait
    /// (up to [`MAX_REFRESH_DEFERRAL`]) so that they take no CPU from the requests waiting on
    /// them; a report still brings its own experiment up to date first.
    pub async fn refresh_in_background(self, period: Duration, running: impl Fn() -> Vec<String>) {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The exposure-batch histogram's sum counts the first exposures this node stored.
        let exposures_so_far = || self.metrics.exposure_batch.get_sample_sum();
        let (mut seen, mut seen_at, mut last_pass) = (exposures_so_far(), Instant::now(), Instant::now());
        loop {
            ticks.tick().await;
            let rate = (exposures_so_far() - seen) / seen_at.elapsed().as_secs_f64().max(1.0);
            (seen, seen_at) = (exposures_so_far(), Instant::now());
            if defer_refresh(rate, last_pass.elapsed()) {
                continue;
            }
            last_pass = Instant::now();
            for key in running() {
                let Ok(_slot) = self.slots.acquire().await else { return };
                let started = Instant::now();
                match self.refresh_one(&key).await {
                    Ok(Some(full)) => self.observe(full, started.elapsed()),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(experiment = %key, error = %e, "refreshing outcome rows failed"),
                }
            }
        }
    }

    /// Refreshes one experiment's rows: whether it was a full rebuild, `None` when there was
    /// nothing to do (gone, or another refresh of it under way).
    async fn refresh_one(&self, key: &str) -> Result<Option<bool>, ReportError> {
        let mut conn = self.pool.get().await?;
        Ok(refresh(&mut conn, key).await?.map(|r| r.full))
    }
}

/// First exposures per second (stored through this node) above which background refresh passes
/// wait.
pub const BUSY_EXPOSURES_PER_SECOND: f64 = 1_000.0;
/// The longest a background refresh pass waits for assignment load to fall.
pub const MAX_REFRESH_DEFERRAL: Duration = Duration::from_secs(300);

/// Whether a background refresh pass waits: first exposures arrive at `rate` per second and the
/// last pass was `since` ago.
fn defer_refresh(rate: f64, since: Duration) -> bool {
    rate > BUSY_EXPOSURES_PER_SECOND && since < MAX_REFRESH_DEFERRAL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_refresh_waits_only_while_busy_and_not_for_ever() {
        assert!(!defer_refresh(0.0, Duration::ZERO));
        assert!(!defer_refresh(BUSY_EXPOSURES_PER_SECOND, Duration::from_secs(10)));
        assert!(defer_refresh(30_000.0, Duration::from_secs(10)));
        assert!(defer_refresh(30_000.0, MAX_REFRESH_DEFERRAL - Duration::from_secs(1)));
        assert!(!defer_refresh(30_000.0, MAX_REFRESH_DEFERRAL));
    }
}
