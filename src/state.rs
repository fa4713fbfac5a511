//! What every handler can reach.

use crate::assign::lookup::FactsLoader;
use crate::assign::refresh::ConfigCache;
use crate::assign::writer::ExposureWriter;
use crate::assign::Assigner;
use crate::config::Config;
use crate::db::{Pool, SetupError};
use crate::http::auth_limit::MissLimiter;
use crate::http::metrics::Metrics;
use crate::http::ui::limit::LoginLimiter;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub pool: Pool,
    /// The configuration.
    pub config: Arc<Config>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Experiment definitions and keys in memory.
    pub cache: Arc<ConfigCache>,
    /// Assignment.
    pub assigner: Arc<Assigner>,
    /// Caps database lookups of unknown API tokens.
    pub key_misses: Arc<MissLimiter>,
    /// Failed UI logins per address and e-mail.
    pub login_limit: Arc<LoginLimiter>,
    /// Reports computed at once (each is one heavy query): more wait their turn.
    pub reports: Arc<tokio::sync::Semaphore>,
}

/// Reports computed at the same time, at most.
const CONCURRENT_REPORTS: usize = 2;

impl AppState {
    /// The report of experiment `key` now (`None`: no such experiment), computed when one of the
    /// report slots is free, so that page views cannot pile heavy queries onto the database.
    pub async fn report(&self, key: &str) -> Result<Option<crate::analysis::Report>, ReportError> {
        let _slot = self.reports.acquire().await.map_err(|_| ReportError::Closed)?;
        let mut conn = self.pool.get().await?;
        let Some(computed) = crate::analysis::compute(&mut conn, key, chrono::Utc::now()).await? else {
            return Ok(None);
        };
        let kind = if computed.refresh.full { "full" } else { "incremental" };
        self.metrics.outcome_refresh.with_label_values(&[kind]).observe(computed.refresh_time.as_secs_f64());
        Ok(Some(computed.report))
    }
}

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

/// Group-commit writers (each with its own thread and connection).
const ASSIGN_WRITERS: usize = 1;
/// Batched customer-lookup tasks (each with its own connection).
const ASSIGN_LOADERS: usize = 2;

/// How often definitions are reloaded when no change notification arrives.
const REFRESH_PERIOD: Duration = Duration::from_secs(5);

impl AppState {
    /// Loads the definitions and starts the background tasks (definition and outcome refresh,
    /// customer lookups) on the current runtime and the exposure writers on their own threads. `database_url` is used for the LISTEN connection and
    /// for assignment's own connections (key lookups and group commits only).
    pub async fn start(pool: Pool, config: Config, database_url: &str) -> Result<AppState, SetupError> {
        let metrics = Metrics::new();
        let cache = Arc::new(ConfigCache::default());
        if let Err(e) = cache.reload(&pool).await {
            tracing::warn!(error = %e, "cannot load experiment definitions yet; will retry");
        }
        tokio::spawn(cache.clone().follow(database_url.to_string(), pool.clone(), REFRESH_PERIOD));
        let writer = ExposureWriter::start(database_url, ASSIGN_WRITERS, 10_000, metrics.clone())?;
        let loader =
            FactsLoader::start(crate::db::build_keyed_pool(database_url, ASSIGN_LOADERS)?, ASSIGN_LOADERS, 10_000);
        let assigner = Arc::new(Assigner::new(cache.clone(), loader, writer, 200_000, metrics.clone()));
        let key_misses = Arc::new(MissLimiter::new(50));
        let login_limit = Arc::new(LoginLimiter::default());
        let reports = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_REPORTS));
        let state =
            AppState { pool, config: Arc::new(config), metrics, cache, assigner, key_misses, login_limit, reports };
        tokio::spawn(state.clone().refresh_outcomes(OUTCOME_REFRESH_PERIOD));
        Ok(state)
    }

    /// Keeps the outcome rows of running experiments current in the background, so that a report
    /// only has to add what arrived since the last pass. Takes a report slot for each experiment.
    /// While first exposures arrive faster than [`BUSY_EXPOSURES_PER_SECOND`], passes wait (up to
    /// [`MAX_REFRESH_DEFERRAL`]) so that they do not take CPU from the requests waiting on them;
    /// a report still brings its experiment up to date first.
    async fn refresh_outcomes(self, period: Duration) {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
            let running: Vec<String> = self
                .cache
                .snapshot()
                .by_id
                .values()
                .filter(|e| e.status == crate::domain::experiment::Status::Running)
                .map(|e| e.key.clone())
                .collect();
            for key in running {
                let Ok(_slot) = self.reports.acquire().await else { return };
                let started = std::time::Instant::now();
                let refreshed = match self.pool.get().await {
                    Ok(mut conn) => crate::analysis::refresh(&mut conn, &key).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match refreshed {
                    Ok(Some(r)) => {
                        let kind = if r.full { "full" } else { "incremental" };
                        self.metrics
                            .outcome_refresh
                            .with_label_values(&[kind])
                            .observe(started.elapsed().as_secs_f64());
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(experiment = %key, error = %e, "refreshing outcome rows failed"),
                }
            }
        }
    }
}

/// How often the outcome rows of running experiments are brought up to date in the background.
const OUTCOME_REFRESH_PERIOD: Duration = Duration::from_secs(10);
/// First exposures per second (stored through this node) above which background refresh passes
/// wait.
const BUSY_EXPOSURES_PER_SECOND: f64 = 1_000.0;
/// The longest a background refresh pass waits for assignment load to fall.
const MAX_REFRESH_DEFERRAL: Duration = Duration::from_secs(300);

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
