//! What every handler can reach: plain data, built and started by the app factory
//! ([`crate::startup`]).

use crate::analysis::{Report, ReportError, Reports};
use crate::assign::{Assigner, ConfigCache};
use crate::config::Config;
use crate::db::Pool;
use crate::limit::{LoginLimiter, MissLimiter};
use crate::metrics::Metrics;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The database pool for requests and reports.
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
    /// Reports, a few at a time.
    pub reports: Reports,
    /// The API key whose requests are logged at debug level only (the demo's own simulated
    /// traffic); 0 for none.
    pub quiet_key: Arc<AtomicI64>,
}

impl AppState {
    /// The report of experiment `key` now (`None`: no such experiment); see [`Reports::report`].
    pub async fn report(&self, key: &str) -> Result<Option<Report>, ReportError> {
        self.reports.report(key).await
    }

    /// Reloads this node's definitions now, after a change it made that its next assignment
    /// must already see (a rollout); other nodes follow through the change notification.
    pub async fn reload_definitions(&self) {
        if let Err(e) = self.cache.reload(&self.pool).await {
            tracing::warn!(error = %e, "definitions not reloaded after a change; the listener will");
        }
    }

    /// The key whose requests are logged at debug level only, if any.
    pub fn quiet_key(&self) -> Option<i64> {
        Some(self.quiet_key.load(Ordering::Relaxed)).filter(|id| *id != 0)
    }
}
