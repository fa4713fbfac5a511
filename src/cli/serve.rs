//! `stagelab serve [--bind ADDR] [--demo] [--workers N]`: the HTTP service.

use crate::config::Config;
use crate::db::models::{audit, users};
use crate::domain::password;
use crate::startup::Application;
use crate::state::AppState;
use clap::Args;
use std::net::SocketAddr;
use std::path::Path;
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
}

/// The demo's admin login.
pub const DEMO_ADMIN: &str = "admin@stagelab.local";

/// Runs the service until SIGINT/SIGTERM; then stops the embedded PostgreSQL if it started it.
pub async fn run(mut config: Config, args: ServeArgs) -> ExitCode {
    config.bind = args.bind;
    config.workers = args.workers.map(usize::from);
    config.migrate = !args.no_migrate;
    let db = match super::connect(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    if args.demo {
        if let Err(e) = prepare_demo(&db.pool).await {
            eprintln!("error: preparing the demo failed: {e}");
            db.close().await;
            return ExitCode::FAILURE;
        }
    }
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

/// Applies `experiments/` and creates the demo admin (once; a re-run duplicates nothing).
async fn prepare_demo(pool: &crate::db::Pool) -> anyhow::Result<()> {
    let dir = Path::new("experiments");
    match crate::apply::run(pool, dir, false, "demo").await {
        Ok(plan) => {
            let (create, update, unchanged) = plan.counts();
            println!("demo: experiments applied ({create} created, {update} updated, {unchanged} unchanged)");
        }
        Err(crate::apply::ApplyError::Invalid(errors)) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::bail!("the experiment files are invalid:\n{}", text.join("\n"));
        }
        Err(e) => return Err(e.into()),
    }
    let mut conn = pool.get().await?;
    if users::find_by_email(&mut conn, DEMO_ADMIN).await?.is_none() {
        let secret = password::generate();
        let hash = password::hash(&secret).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
        let user = users::insert(&mut conn, &users::NewUser { email: DEMO_ADMIN, password_hash: &hash, role: "admin" })
            .await?;
        let after = serde_json::json!({"id": user.id, "email": user.email, "role": user.role});
        audit::record(
            &mut conn,
            &audit::NewEntry {
                actor: "demo",
                action: "user.create",
                entity_type: "user",
                entity_key: DEMO_ADMIN,
                before: None,
                after: Some(after),
            },
        )
        .await?;
        println!("demo: log in as {DEMO_ADMIN} with password {secret}");
    } else {
        println!("demo: log in as {DEMO_ADMIN} (its password was printed when the demo first ran)");
    }
    println!("demo: the simulated store history is not available yet, so reports start empty");
    Ok(())
}
