//! The app factory, shared by `stagelab serve` and the tests: [`Application::build`] starts the
//! application state (definitions listener, exposure writer, customer lookups, background
//! outcome refresh) on a connected database and binds the HTTP server.

use crate::analysis::Reports;
use crate::assign::io::lookup::FactsLoader;
use crate::assign::io::writer::ExposureWriter;
use crate::assign::{Assigner, ConfigCache};
use crate::config::Config;
use crate::db::{Pool, SetupError};
use crate::http;
use crate::limit::{LoginLimiter, MissLimiter};
use crate::metrics::Metrics;
use crate::notify::worker::DeliveryWorker;
use crate::state::AppState;
use crate::watch::Watch;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;

/// How long a graceful stop waits for in-flight requests before dropping them.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// How often definitions are reloaded when no change notification arrives.
const DEFINITIONS_RELOAD_PERIOD: Duration = Duration::from_secs(5);

/// How often the outcome rows of running experiments are brought up to date in the background.
const OUTCOME_REFRESH_PERIOD: Duration = Duration::from_secs(10);

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Assignment's own connections or threads could not be set up.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The webhook deliveries' HTTP client could not be built (its TLS set-up failed).
    #[error("cannot set up webhook deliveries: {0}")]
    Deliveries(reqwest::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        /// The address.
        bind: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound, running HTTP server with its state.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Starts the state on `pool` (assignment opens connections of its own on `database_url`:
    /// the LISTEN connection, the group-commit writer and the lookups), binds `config.bind` (port
    /// 0 picks a free port) and starts serving.
    pub async fn build(config: &Config, pool: Pool, database_url: &str) -> Result<Application, StartError> {
        let state = start_state(config, pool, database_url).await?;
        let bind_error = |source| StartError::Bind { bind: config.bind, source };
        let listener = TcpListener::bind(config.bind).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(Compress::default())
                .wrap(from_fn(http::middleware::track))
                .wrap(TracingLogger::default())
                .app_data(data.clone())
                .configure(http::configure)
                .default_service(web::to(http::not_found))
        })
        .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
        // Signals are handled by `stagelab serve` (a second one forces the exit).
        .disable_signals()
        .listen(listener)
        .map_err(bind_error)?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Application { port, server: server.run(), state })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The application state (the tests read the definitions cache; `serve` drains the writer).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through the handle; in a graceful stop, in-flight requests finish first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Loads the definitions and starts the background tasks on the current runtime (definitions
/// listener, customer lookups, outcome refresh, background watch, webhook deliveries) and the exposure writer on its
/// own thread.
async fn start_state(config: &Config, pool: Pool, database_url: &str) -> Result<AppState, StartError> {
    let tunables = &config.tunables;
    let metrics = Metrics::new();
    let cache = Arc::new(ConfigCache::default());
    if let Err(e) = cache.reload(&pool).await {
        tracing::warn!(error = %e, "cannot load experiment definitions yet; will retry");
    }
    tokio::spawn(cache.clone().follow(database_url.to_string(), pool.clone(), DEFINITIONS_RELOAD_PERIOD));
    let writer = ExposureWriter::start(database_url, tunables.assign_queue, metrics.clone())?;
    let lookups = crate::db::build_keyed_pool(database_url, tunables.lookup_connections)?;
    let loader = FactsLoader::start(lookups, tunables.lookup_connections, tunables.assign_queue);
    let assigner = Assigner::new(cache.clone(), loader, writer, tunables.known_customers, metrics.clone());
    let reports = Reports::new(pool.clone(), metrics.clone(), tunables.report_slots);
    let running = cache.clone();
    tokio::spawn(reports.clone().refresh_in_background(OUTCOME_REFRESH_PERIOD, move || running.running_keys()));
    let watch = Watch::new(pool.clone(), reports.clone(), Duration::from_millis(tunables.watch_ms));
    tokio::spawn(watch.run());
    let worker = DeliveryWorker::new(pool.clone(), Duration::from_millis(tunables.webhook_retry_ms), metrics.clone())
        .map_err(StartError::Deliveries)?;
    tokio::spawn(worker.run());
    Ok(AppState {
        pool,
        config: Arc::new(config.clone()),
        metrics,
        cache,
        assigner: Arc::new(assigner),
        key_misses: Arc::new(MissLimiter::new(tunables.key_misses_per_second)),
        login_limit: Arc::new(LoginLimiter::default()),
        reports,
        quiet_key: Default::default(),
    })
}
