//! The service's configuration: one typed struct, built from flags and environment variables by
//! the command line and passed down (there is no global settings object).
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
//!
//! `--no-migrate` (serve) skips running pending migrations at start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// An external PostgreSQL (`DATABASE_URL`). The URL may hold a password: never log it.
    Url(String),
    /// The embedded cluster under `data_dir/postgres`.
    Embedded {
        /// The data directory.
        data_dir: PathBuf,
        /// Where the PostgreSQL programs are, when not in the usual places.
        bin_dir: Option<PathBuf>,
    },
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the service needs to know about its surroundings.
#[derive(Debug, Clone)]
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
    /// Tunables.
    pub tunables: Tunables,
}

/// TEMPORARY (replaced by the CLI/config work).
#[derive(Debug, Clone)]
pub struct Tunables {
    /// Assignment queue.
    pub assign_queue: usize,
    /// Known customers.
    pub known_customers: usize,
    /// Lookup connections.
    pub lookup_connections: usize,
    /// Key misses per second.
    pub key_misses_per_second: u32,
    /// Report slots.
    pub report_slots: usize,
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            assign_queue: 10_000,
            known_customers: 200_000,
            lookup_connections: 2,
            key_misses_per_second: 50,
            report_slots: 2,
        }
    }
}

impl Config {
    /// A configuration for an external database with defaults elsewhere (tests and tools).
    pub fn for_database_url(url: impl Into<String>) -> Config {
        Config {
            database: DatabaseConfig::Url(url.into()),
            db_pool_size: 16,
            migrate: true,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: None,
            log: "info".into(),
            log_format: LogFormat::Text,
            tunables: Tunables::default(),
        }
    }
}
