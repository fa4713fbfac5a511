//! Assignment's I/O, each behind a channel whose message types are the pipeline's values: the
//! group-commit [`writer`] (a [`WriteBatch`](super::plan::WriteBatch) in, the stored rows out),
//! the batched customer [`lookup`] (ids in, facts out) and the definitions [`listener`] that
//! keeps the in-memory snapshot current.

pub mod listener;
pub mod lookup;
pub mod writer;

use diesel_async::pooled_connection::deadpool::PoolError;
use std::sync::Arc;

/// Why a lookup or a write did not happen. One failure answers every request of its batch, so
/// causes are shared.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The queue is full: shed load rather than grow memory.
    #[error("too many assignments are waiting for the database")]
    Overloaded,
    /// The writer or lookup task is gone (the service is stopping).
    #[error("the assignment {0} stopped")]
    Stopped(&'static str),
    /// No database connection could be had.
    #[error("no database connection")]
    Pool(#[source] Arc<PoolError>),
    /// The statement failed; nothing of the batch was stored.
    #[error("the database failed")]
    Query(#[source] Arc<diesel::result::Error>),
}

impl StoreError {
    /// Whether a retry can succeed (503): anything but a failed statement that is not an outage.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Query(e) => crate::db::outage::is_retryable(e),
            StoreError::Overloaded | StoreError::Stopped(_) | StoreError::Pool(_) => true,
        }
    }

    /// Logs a batch's failure once, with its causes: an outage as a warning, anything else as an
    /// error.
    pub fn log(&self, what: &str, calls: usize) {
        let error = crate::telemetry::with_causes(self);
        if self.is_transient() {
            tracing::warn!(%error, calls, "{what}");
        } else {
            tracing::error!(%error, calls, "{what}");
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        StoreError::Pool(Arc::new(e))
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Query(Arc::new(e))
    }
}
