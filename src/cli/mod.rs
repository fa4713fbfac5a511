//! The `stagelab` command line: one module per subcommand, each returning a [`CliError`] that
//! [`main`] prints and turns into the exit code: 0 success, 1 failure (database unreachable,
//! I/O), 2 bad input (invalid files, flags or values). Commands that need the database run their
//! body inside [`with_database`].

pub mod apply;
mod config;
pub mod demo;
pub mod error;
pub mod import;
pub mod keys;
pub mod migrate;
pub mod programme;
pub mod report;
pub mod serve;
pub mod ship;
pub mod simulate;
pub mod stats;
pub mod users;

pub use error::CliError;

use crate::config::{Config, DatabaseUrl, LogFormat, DEFAULT_DATA_DIR, DEFAULT_DB_POOL_SIZE, DEFAULT_LOG};
use crate::db::Database;
use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// stagelab: A/B testing for customer-lifecycle transitions.
#[derive(Debug, Parser)]
#[command(name = "stagelab", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL connection URL. Unset: an embedded cluster under DATA_DIR/postgres is used.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<DatabaseUrl>,
    /// Directory for local state (the embedded PostgreSQL cluster).
    #[arg(long, env = "STAGELAB_DATA_DIR", default_value = DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,
    /// Log filter, e.g. `info` or `stagelab=debug,info`.
    #[arg(long = "log", env = "STAGELAB_LOG", default_value = DEFAULT_LOG, global = true)]
    pub log: String,
    /// Log format.
    #[arg(long, env = "STAGELAB_LOG_FORMAT", value_enum, default_value_t = LogFormat::default(), global = true)]
    pub log_format: LogFormat,
    /// Directory of the PostgreSQL programs (initdb, pg_ctl) for the embedded cluster.
    #[arg(long, env = "STAGELAB_PG_BIN_DIR", global = true)]
    pub pg_bin_dir: Option<PathBuf>,
    /// Database connections per process.
    #[arg(
        long,
        env = "STAGELAB_DB_POOL_SIZE",
        default_value_t = DEFAULT_DB_POOL_SIZE,
        global = true,
        value_parser = clap::value_parser!(u16).range(1..=1000)
    )]
    pub db_pool_size: u16,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service: storefront API, admin UI and reports.
    Serve(serve::ServeArgs),
    /// Run pending database migrations and exit.
    Migrate,
    /// Sync experiment files into the database (prints the plan).
    Apply(apply::ApplyArgs),
    /// Back-fill events from a .jsonl or .csv file (same validation as the API).
    Import(import::ImportArgs),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage admin UI users.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Ship a variant of an experiment to every eligible customer (stops it if it runs).
    Ship(ship::ShipArgs),
    /// End the rollout of a shipped experiment (it stays stopped).
    Unship(ship::UnshipArgs),
    /// The analysis of one experiment (text, JSON or CSV).
    Report(report::ReportArgs),
    /// The programme holdout against everyone else, per stage (text, JSON or CSV).
    Programme(programme::ProgrammeArgs),
    /// Calculators on summary statistics (the same engine as the reports).
    Stats(stats::StatsArgs),
    /// Drive a running service with a synthetic store whose true effects are known (also a load
    /// generator).
    Simulate(simulate::SimulateArgs),
}

/// Entry point of the binary: the one place where a command's outcome becomes the exit code.
pub fn main() -> ExitCode {
    let result = Cli::try_parse().map_err(CliError::usage).and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(e)) => {
            // Help and version go to stdout, usage errors to stderr, as clap prints them.
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// Runs the parsed command (the calculators need neither logging nor an async runtime).
fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Stats(args) = &cli.command {
        return stats::run(args);
    }
    let config = cli.config();
    crate::telemetry::init(&config.log, config.log_format);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(config, args).await,
            Command::Migrate => migrate::run(config).await,
            Command::Apply(args) => apply::run(config, args).await,
            Command::Import(args) => import::run(config, args).await,
            Command::Keys(cmd) => keys::run(config, cmd).await,
            Command::Users(cmd) => users::run(config, cmd).await,
            Command::Report(args) => report::run(config, args).await,
            Command::Programme(args) => programme::run(config, args).await,
            Command::Ship(args) => ship::ship(config, args).await,
            Command::Unship(args) => ship::unship(config, args).await,
            Command::Simulate(args) => simulate::run(args).await,
            Command::Stats(_) => unreachable!("handled above"),
        }
    })
}

/// Connects to the database as `config` says, runs a command's `body` with it and closes it
/// (stopping the embedded cluster if this process was its last user) whatever `body` returned.
pub(crate) async fn with_database<T>(
    config: &Config,
    body: impl AsyncFnOnce(&Database) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let db = Database::connect(config).await?;
    let result = body(&db).await;
    db.close().await;
    result
}

/// The actor written to the audit log for CLI changes: `cli:<os user>`.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
