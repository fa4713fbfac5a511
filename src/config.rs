//! The service's configuration: one typed struct, assembled in one place (`Cli::config` in
//! the command line)
//! from flags and environment variables and passed down (there is no global settings object).
//! Every default below is a constant of this module, used by the flags and by
//! [`Config::for_database_url`] alike.
//!
//! | variable | flag | default | meaning |
//! |---|---|---|---|
//! | `DATABASE_URL` | `--database-url` | unset | PostgreSQL to use; unset starts the embedded cluster |
//! | `STAGELAB_DATA_DIR` | `--data-dir` | `./var` | where the embedded cluster lives (`<dir>/postgres`) |
//! | `STAGELAB_BIND` | `serve --bind` | `127.0.0.1:8080` | HTTP listen address |
//! | `STAGELAB_WORKERS` | `serve --workers` | number of cores | HTTP worker threads |
//! | `STAGELAB_LOG` | `--log` | `info` | log filter (`tracing` `EnvFilter` syntax, e.g. `stagelab=debug,info`) |
//! | `STAGELAB_LOG_FORMAT` | `--log-format` | `text` | `text` or `json` |
//! | `STAGELAB_DB_POOL_SIZE` | `--db-pool-size` | 16 | database connections per process |
//! | `STAGELAB_PG_BIN_DIR` | `--pg-bin-dir` | `PATH`, then `/usr/lib/postgresql/*/bin` | where `initdb` and `pg_ctl` are |
//! | `STAGELAB_ASSIGN_QUEUE` | `serve --assign-queue` | 10000 (1–1,000,000) | assignment requests waiting for their group commit, per node; when full, assignment answers 503 |
//! | `STAGELAB_KNOWN_CUSTOMERS` | `serve --known-customers` | 200000 (1–100,000,000) | returning customers whose facts are cached in memory |
//! | `STAGELAB_LOOKUP_CONNECTIONS` | `serve --lookup-connections` | 2 (1–64) | connections of the batched customer lookup |
//! | `STAGELAB_KEY_MISSES_PER_SECOND` | `serve --key-misses-per-second` | 50 (1–100,000) | database lookups of unknown API tokens per second |
//! | `STAGELAB_REPORT_SLOTS` | `serve --report-slots` | 2 (1–64) | reports computed at once (more wait their turn) |
//! | `STAGELAB_WATCH_MS` | `serve --watch-ms` | 10000 (100–60,000) | time between background watch passes (schedules, guardrail actions, notifications) |
//! | `STAGELAB_WEBHOOK_RETRY_MS` | `serve --webhook-retry-ms` | 5000 (10–10,000) | wait before a failed delivery's first retry (doubling after) |
//!
//! `--no-migrate` (serve) skips running pending migrations at start.

mod database_url;
mod tunables;

pub use database_url::DatabaseUrl;
pub use tunables::Tunables;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;

/// Default HTTP listen address (`serve --bind`).
pub const DEFAULT_BIND: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
/// Default database connections per process (`--db-pool-size`).
pub const DEFAULT_DB_POOL_SIZE: u16 = 16;
/// Default log filter (`--log`).
pub const DEFAULT_LOG: &str = "info";
/// Default directory for local state (`--data-dir`).
pub const DEFAULT_DATA_DIR: &str = "var";

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// An external PostgreSQL (`DATABASE_URL`); the type keeps its password out of logs.
    Url(DatabaseUrl),
    /// The embedded cluster under `data_dir/postgres`.
    Embedded {
        /// The data directory.
        data_dir: PathBuf,
        /// Where the PostgreSQL programs are, when not in the usual places.
        bin_dir: Option<PathBuf>,
    },
}

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::fmt::Display for LogFormat {
    /// The name used on the command line (`text`, `json`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

/// Everything the service needs to know about its surroundings. Its `Debug` output is safe to
/// log: the database URL is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The database.
    pub database: DatabaseConfig,
    /// Connections in the pool.
    pub db_pool_size: usize,
    /// Run pending migrations when connecting.
    pub migrate: bool,
    /// HTTP listen address.
    pub bind: SocketAddr,
    /// HTTP worker threads (`None` = one per core).
    pub workers: Option<usize>,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Queue lengths, cache sizes and rates of the running service.
    pub tunables: Tunables,
}

impl Config {
    /// A configuration for an external database with every other setting at its default (tests
    /// and tools).
    pub fn for_database_url(url: impl Into<String>) -> Config {
        Config::with_defaults(DatabaseConfig::Url(DatabaseUrl::from(url.into())))
    }

    /// Every setting at its default, with this database (the command line starts from it).
    pub fn with_defaults(database: DatabaseConfig) -> Config {
        Config {
            database,
            db_pool_size: usize::from(DEFAULT_DB_POOL_SIZE),
            migrate: true,
            bind: DEFAULT_BIND,
            workers: None,
            log: DEFAULT_LOG.into(),
            log_format: LogFormat::default(),
            tunables: Tunables::default(),
        }
    }
}
