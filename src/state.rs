//! What every handler can reach.

use crate::config::Config;
use crate::db::Pool;
use crate::http::metrics::Metrics;
use std::sync::Arc;

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub pool: Pool,
    /// The configuration.
    pub config: Arc<Config>,
    /// Prometheus metrics.
    pub metrics: Metrics,
}

impl AppState {
    /// State for a pool and config, with fresh metrics.
    pub fn new(pool: Pool, config: Config) -> AppState {
        AppState { pool, config: Arc::new(config), metrics: Metrics::new() }
    }
}
