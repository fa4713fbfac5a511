//! `stagelab serve [--bind ADDR] [--demo] [--workers N]`: the HTTP service.

use super::CliError;
use crate::config::{Config, Tunables};
use crate::db::Database;
use crate::startup::Application;
use actix_web::dev::ServerHandle;
use anyhow::Context as _;
use clap::Args;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// At shutdown, how long exposures still queued for their group commit may take to be stored.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The same after a forced stop (a second signal): the operator wants out.
const FORCED_DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Arguments of `stagelab serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address.
    #[arg(long, env = "STAGELAB_BIND", default_value_t = crate::config::DEFAULT_BIND)]
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
    /// Queue lengths, cache sizes and rates.
    #[command(flatten)]
    pub tunables: Tunables,
}

/// Runs the service until SIGINT/SIGTERM. A graceful stop: no new connections, in-flight requests
/// finish (up to [`crate::startup::SHUTDOWN_TIMEOUT`]), exposures still queued are stored, then the
/// embedded PostgreSQL stops if this process started it. A second signal drops in-flight requests.
pub async fn run(config: Config, args: ServeArgs) -> Result<(), CliError> {
    super::with_database(&config, async |db| serve(db, &config, &args).await).await
}

async fn serve(db: &Database, config: &Config, args: &ServeArgs) -> Result<(), CliError> {
    let demo = if args.demo {
        Some(super::demo::prepare(&db.pool, args.demo_customers).await.context("preparing the demo failed")?)
    } else {
        None
    };
    let app = Application::build(config, db.pool.clone(), db.url()).await?;
    let writer = app.state().assigner.writer().clone();
    let url = format!("http://{}:{}", config.bind.ip(), app.port());
    tracing::info!(%url, "stagelab is listening");
    println!("stagelab is running on {url} (Ctrl-C to stop)");
    if let Some(demo) = demo {
        if let Some(id) = demo.key_id() {
            app.state().quiet_key.store(id, std::sync::atomic::Ordering::Relaxed);
        }
        // The simulation calls the server itself: a wildcard bind is reached on loopback.
        let own = match config.bind.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        demo.start(db.pool.clone(), format!("http://{}", SocketAddr::new(own, app.port())));
    }
    let term = signal(SignalKind::terminate()).context("cannot handle signals")?;
    let int = signal(SignalKind::interrupt()).context("cannot handle signals")?;
    let (force, forced) = tokio::sync::oneshot::channel();
    tokio::spawn(stop_on_signals(app.handle(), (term, int), force));
    // A forced stop drops the server (and with it the in-flight requests) instead of waiting.
    let (result, drain) = tokio::select! {
        result = app.run_until_stopped() => (result, DRAIN_TIMEOUT),
        Ok(()) = forced => (Ok(()), FORCED_DRAIN_TIMEOUT),
    };
    if !writer.drain(drain).await {
        tracing::error!(pending = writer.pending(), "exposures still queued at exit were not stored");
    }
    tracing::info!("shutting down");
    Ok(result.context("the server failed")?)
}

/// The first SIGTERM or SIGINT stops the server gracefully; a second one fires `force`. A signal
/// after that, or one that arrives when the server has already stopped (while queued exposures
/// are stored and the embedded PostgreSQL stops), ends the process at once.
async fn stop_on_signals(
    handle: ServerHandle,
    (mut term, mut int): (Signal, Signal),
    force: tokio::sync::oneshot::Sender<()>,
) {
    let first = next_signal(&mut term, &mut int).await;
    tracing::info!(signal = first, "stopping: finishing in-flight requests (a second signal stops at once)");
    // The graceful stop runs on its own; the server future ends when it completes.
    tokio::spawn(async move { handle.stop(true).await });
    let second = next_signal(&mut term, &mut int).await;
    if force.send(()).is_ok() {
        tracing::warn!(signal = second, "stopping now: in-flight requests are dropped");
        next_signal(&mut term, &mut int).await;
    }
    tracing::warn!("exiting at once");
    std::process::exit(1);
}

async fn next_signal(term: &mut Signal, int: &mut Signal) -> &'static str {
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
