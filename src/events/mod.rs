//! Events from storefronts (CONTRACT §4 `POST /api/v1/events`): validation into typed events,
//! and the lifecycle progress they prove. Pure: no HTTP, no SQL.

pub mod progress;
mod validate;

pub use validate::{validate_batch, Problem};

use crate::domain::named::named;
use chrono::{DateTime, Utc};

/// Most events in one batch.
pub const MAX_BATCH: usize = 10_000;
/// How far in the future `occurred_at` may be (clock skew).
pub const MAX_FUTURE_SECONDS: i64 = 5 * 60;
/// Events older than this when received are accepted but flagged `is_late`.
pub const RETENTION_DAYS: i64 = 730;

named! {
    /// What happened.
    pub enum EventType ("type") {
        /// The customer entered a stage.
        Stage,
        /// The customer bought something.
        Purchase,
        /// The customer referred someone.
        Referral,
    }
}

/// A valid event, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The storefront's id for it (unique per source).
    pub id: String,
    /// Whose event.
    pub customer_id: String,
    /// What happened.
    pub event_type: EventType,
    /// The stage entered (stage events).
    pub stage: Option<String>,
    /// Order value (purchases).
    pub value: Option<f64>,
    /// ISO 4217 currency (purchases).
    pub currency: Option<String>,
    /// The store's order id (purchases).
    pub order_id: Option<String>,
    /// Who was referred (referrals).
    pub referred_customer_id: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Older than the retention horizon when received.
    pub is_late: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_event_type_round_trips_and_says_what_it_expects() {
        use crate::domain::named::tests::assert_round_trips;
        assert_round_trips::<super::EventType>("click", r#"unknown type "click" (stage, purchase or referral)"#);
    }
}
