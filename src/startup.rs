//! The app factory, shared by `stagelab serve` and the tests.

use crate::config::Config;
use crate::http;
use crate::state::AppState;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;

/// How long a graceful stop waits for in-flight requests before dropping them.
pub const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A bound, not yet running HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `config.bind` (port 0 picks a free port) and builds the server.
    pub fn build(config: &Config, state: AppState) -> std::io::Result<Application> {
        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(Compress::default())
                .wrap(from_fn(http::metrics::track))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .configure(http::configure)
                .default_service(web::to(http::not_found))
        })
        .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
        // Signals are handled by `stagelab serve` (a second one forces the exit).
        .disable_signals()
        .listen(listener)?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Application { port, server: server.run() })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
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
