//! `POST /api/v1/events` (storefront or admin key).

mod create;

use actix_web::web;

/// These routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create::create))]
pub struct ApiDoc;

/// One event as a storefront sends it: the wire shape for the OpenAPI document. Events are checked
/// field by field in [`crate::events::validate_batch`] (so that every problem is reported), not
/// deserialised into this type.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EventInput {
    /// The storefront's id for the event, unique per key; a retry with the same id counts once.
    #[schema(min_length = 1, max_length = 200)]
    id: String,
    /// Whose event.
    #[schema(min_length = 1, max_length = 200)]
    customer_id: String,
    /// What happened.
    #[schema(rename = "type", inline)]
    event_type: EventKind,
    /// The stage entered: required for (and only allowed on) `stage` events.
    stage: Option<String>,
    /// Order value, ≥ 0: required for (and only allowed on) `purchase` events.
    #[schema(minimum = 0, maximum = 1e12)]
    value: Option<f64>,
    /// ISO 4217 code, e.g. `JPY` (purchases only).
    #[schema(pattern = "^[A-Z]{3}$")]
    currency: Option<String>,
    /// The store's order id (purchases only).
    order_id: Option<String>,
    /// Who was referred (referrals only; not the customer themselves).
    referred_customer_id: Option<String>,
    /// When it happened (RFC 3339, at most 5 minutes ahead).
    occurred_at: chrono::DateTime<chrono::Utc>,
}

/// The event types.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum EventKind {
    /// The customer entered a stage.
    Stage,
    /// The customer bought something.
    Purchase,
    /// The customer referred someone.
    Referral,
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create::create);
}
