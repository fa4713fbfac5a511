//! What a storefront gets back.

use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// One assignment in a response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    /// Experiment key.
    pub experiment: String,
    /// Variant key.
    pub variant: String,
    /// What to show (shared with the snapshot: answering copies no payload).
    #[schema(value_type = Object)]
    pub payload: Arc<Value>,
    /// Present (true) when forced by a QA override.
    #[serde(rename = "override", skip_serializing_if = "std::ops::Not::not")]
    pub is_override: bool,
    /// Present (true) when the experiment is shipped: every eligible customer gets this
    /// variant, and no exposure is stored.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shipped: bool,
}

/// The answer for one customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignResponse {
    /// The customer.
    pub customer_id: String,
    /// Their assignments, in experiment-key order.
    pub assignments: Vec<Assignment>,
}
