//! The embedded PostgreSQL cluster: used when no `DATABASE_URL` is set (CONTRACT §2).
//!
//! `Cluster::start` initialises (once) and starts a private cluster under a data directory with the
//! PostgreSQL binaries installed on the machine, listening only on a unix socket inside that
//! directory. Several stagelab processes may use one cluster at the same time: each holds a shared
//! lock on a file beside the data directory for as long as it uses the cluster, and the last one to
//! let go stops the server. When stagelab runs as root, the server runs as the `postgres` system
//! user, because PostgreSQL refuses to run as root.

mod binaries;
mod cluster;
mod location;

pub use binaries::Binaries;
pub use cluster::{Cluster, StartOptions};
pub use location::RunAs;

/// Why the embedded cluster could not be used. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// A PostgreSQL program is not installed.
    #[error("{0} not found: install PostgreSQL (its server binaries: initdb, pg_ctl, postgres) or set DATABASE_URL")]
    MissingBinary(&'static str),
    /// Running as root, but no unprivileged user exists to run the server.
    #[error("running as root, but there is no `postgres` system user to run PostgreSQL as (PostgreSQL refuses to run as root): create one (`useradd --system postgres`) or set DATABASE_URL")]
    NoUnprivilegedUser,
    /// The data directory cannot be used.
    #[error("{0}")]
    Directory(String),
    /// A PostgreSQL program failed.
    #[error("{program} failed ({status}): {output}")]
    Command {
        /// Which program.
        program: String,
        /// Its exit status.
        status: String,
        /// What it printed (the tail).
        output: String,
    },
    /// An I/O error around the data directory.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl PgError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
        let context = context.into();
        move |source| PgError::Io { context, source }
    }
}
