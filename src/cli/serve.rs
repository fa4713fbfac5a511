//! `stagelab serve [--bind ADDR] [--demo] [--workers N]`: the HTTP service.

use crate::config::Config;
use crate::startup::Application;
use crate::state::AppState;
use clap::Args;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

/// Arguments of `stagelab serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address.
    #[arg(long, env = "STAGELAB_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Apply `experiments/`, create a demo admin user and fill in a simulated store history.
    #[arg(long)]
    pub demo: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "STAGELAB_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    /// Do not run pending migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
    /// The demo's number of simulated customers (for tests).
    #[arg(long, hide = true)]
    pub demo_customers: Option<u64>,
}

/// Runs the service until SIGINT/SIGTERM; then stops the embedded PostgreSQL if it started it.
pub async fn run(mut config: Config, args: ServeArgs) -> ExitCode {
    config.bind = args.bind;
    config.workers = args.workers.map(usize::from);
    config.migrate = !args.no_migrate;
    let db = match super::connect(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let demo = if args.demo {
        match super::demo::prepare(&db.pool, args.demo_customers).await {
            Ok(demo) => Some(demo),
            Err(e) => {
                eprintln!("error: preparing the demo failed: {e}");
                db.close().await;
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let state = AppState::start(db.pool.clone(), config.clone(), db.url()).await;
    let app = match Application::build(&config, state) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", config.bind);
            db.close().await;
            return ExitCode::FAILURE;
        }
    };
    let url = format!("http://{}:{}", config.bind.ip(), app.port());
    tracing::info!(%url, "stagelab is listening");
    println!("stagelab is running on {url} (Ctrl-C to stop)");
    if let Some(demo) = demo {
        // The simulation calls the server itself: a wildcard bind is reached on loopback.
        let own = match config.bind.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        demo.start(db.pool.clone(), format!("http://{}", SocketAddr::new(own, app.port())));
    }
    let result = app.run_until_stopped().await;
    tracing::info!("shutting down");
    db.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
