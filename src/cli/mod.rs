//! The `stagelab` command line: one module per subcommand. Exit codes: 0 success, 1 failure
//! (database unreachable, I/O), 2 bad input (invalid files, flags or values).

pub mod apply;
pub mod demo;
pub mod import;
pub mod keys;
pub mod migrate;
pub mod report;
pub mod serve;
pub mod simulate;
pub mod stats;
pub mod users;

use crate::config::{Config, DatabaseConfig, LogFormat};
use crate::db::Database;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
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
    pub database_url: Option<String>,
    /// Directory for local state (the embedded PostgreSQL cluster).
    #[arg(long, env = "STAGELAB_DATA_DIR", default_value = "var", global = true)]
    pub data_dir: PathBuf,
    /// Log filter, e.g. `info` or `stagelab=debug,info`.
    #[arg(long = "log", env = "STAGELAB_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format.
    #[arg(long, env = "STAGELAB_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// Directory of the PostgreSQL programs (initdb, pg_ctl) for the embedded cluster.
    #[arg(long, env = "STAGELAB_PG_BIN_DIR", global = true)]
    pub pg_bin_dir: Option<PathBuf>,
    /// Database connections per process.
    #[arg(long, env = "STAGELAB_DB_POOL_SIZE", default_value_t = 16, global = true, value_parser = clap::value_parser!(u16).range(1..=1000))]
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
    /// The analysis of one experiment (text, JSON or CSV).
    Report(report::ReportArgs),
    /// Calculators on summary statistics (the same engine as the reports).
    Stats(stats::StatsArgs),
    /// Drive a running service with a synthetic store whose true effects are known (also a load
    /// generator).
    Simulate(simulate::SimulateArgs),
}

impl GlobalArgs {
    /// The configuration these options describe (serve adds its own).
    pub fn config(&self) -> Config {
        let database = match &self.database_url {
            Some(url) if !url.trim().is_empty() => DatabaseConfig::Url(url.clone()),
            _ => DatabaseConfig::Embedded { data_dir: self.data_dir.clone(), bin_dir: self.pg_bin_dir.clone() },
        };
        Config {
            database,
            db_pool_size: self.db_pool_size as usize,
            migrate: true,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: None,
            log: self.log.clone(),
            log_format: self.log_format,
            tunables: Default::default(),
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Stats(args) = &cli.command {
        return stats::run(args);
    }
    crate::telemetry::init(&cli.global.log, cli.global.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let config = cli.global.config();
        match cli.command {
            Command::Serve(args) => serve::run(config, args).await,
            Command::Migrate => migrate::run(config).await,
            Command::Apply(args) => apply::run(config, args).await,
            Command::Import(args) => import::run(config, args).await,
            Command::Keys(cmd) => keys::run(config, cmd).await,
            Command::Users(cmd) => users::run(config, cmd).await,
            Command::Report(args) => report::run(config, args).await,
            Command::Simulate(args) => simulate::run(args).await,
            Command::Stats(_) => unreachable!("handled above"),
        }
    })
}

/// Connects to the database for a command, or prints why not.
pub(crate) async fn connect(config: &Config) -> Result<Database, ExitCode> {
    Database::connect(config).await.map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

/// The actor written to the audit log for CLI changes: `cli:<os user>`.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
