//! Why a simulation could not run or stopped: each a clear sentence for the command line.

use super::model::ModelError;

/// A simulation failure.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// `--url` is not an `http://` URL (a bad argument).
    #[error("invalid --url {url:?}: {reason}")]
    BadUrl {
        /// As given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Nothing answers at the URL.
    #[error("cannot reach the service at {url}: {cause}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport error.
        cause: String,
    },
    /// The key is unknown or revoked.
    #[error("the service refused the key (401): {0}")]
    Unauthorized(String),
    /// The key is valid but not an admin key.
    #[error(
        "the key is not an admin key: simulate reads the experiment definitions and back-dates assignments, \
         which needs one (create it with `stagelab keys create NAME --role admin`)"
    )]
    NotAdmin,
    /// Something answers, but not a stagelab service of this version.
    #[error("{url} does not look like a stagelab service ({what})")]
    NotStagelab {
        /// The URL asked.
        url: String,
        /// What was seen.
        what: String,
    },
    /// A request failed for good (after retries).
    #[error("{what} failed with status {status}: {message}")]
    Failed {
        /// Which call.
        what: &'static str,
        /// HTTP status.
        status: u16,
        /// The service's message, or the body.
        message: String,
    },
    /// The definitions cannot be simulated.
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl SimError {
    /// Whether the failure is the caller's input (exit code 2) rather than the service (1).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, SimError::BadUrl { .. })
    }
}
