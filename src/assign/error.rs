//! Why assignment failed.

use super::io::StoreError;
use crate::events::Problem;

/// Why a call was not answered; nothing of it was acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// Invalid requests: every problem of every request, by index and field.
    #[error("invalid assignment request")]
    Invalid(Vec<Problem>),
    /// The lookup or the write failed or is overloaded; the cause is kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}
