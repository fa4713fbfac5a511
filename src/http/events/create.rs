//! `POST /api/v1/events`: a batch of 1 to 10,000 events, all or nothing.

use crate::db::models::events;
use crate::errors::{ApiError, Code};
use crate::events::{validate_batch, MAX_BATCH};
use crate::http::auth::ApiKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

/// The body: `{"events": [event, …]}`. Events stay raw JSON here so that validation can report
/// every problem of every event, not only the first one serde meets.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EventBatch, example = json!({"events": [
    {"id": "e-1", "customer_id": "c-1", "type": "stage", "stage": "retention", "occurred_at": "2026-11-23T10:00:00Z"},
    {"id": "e-2", "customer_id": "c-1", "type": "purchase", "value": 42.5, "currency": "JPY", "order_id": "o-9",
     "occurred_at": "2026-11-23T10:05:00Z"},
    {"id": "e-3", "customer_id": "c-1", "type": "referral", "referred_customer_id": "c-7",
     "occurred_at": "2026-11-23T11:00:00Z"}]}))]
pub(super) struct Batch {
    /// 1 to 10,000 events.
    #[schema(value_type = Vec<super::EventInput>)]
    events: Vec<Value>,
}

/// Stores a batch of events, all or nothing: any invalid event gives 422 listing every problem by
/// index, and nothing is stored. A retried event id (per key) counts once, as a duplicate.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    operation_id = "send_events",
    tag = "storefront",
    request_body = Batch,
    responses((status = 200, description = "The batch is stored.", body = events::Ingested)),
    security(("storefront_key" = []), ("admin_key" = []))
)]
#[post("/api/v1/events")]
#[tracing::instrument(skip_all, fields(batch.size = body.events.len(), key.name = %key.name))]
pub(super) async fn create(
    state: web::Data<AppState>,
    key: ApiKey,
    body: web::Json<Batch>,
) -> Result<HttpResponse, ApiError> {
    let batch = body.into_inner().events;
    if batch.is_empty() {
        return Err(ApiError::new(Code::ValidationFailed, "`events` must list at least one event."));
    }
    if batch.len() > MAX_BATCH {
        let message = format!("At most {MAX_BATCH} events per batch; got {}. Split the batch.", batch.len());
        return Err(ApiError::new(Code::BatchTooLarge, message));
    }
    state.metrics.event_batch.observe(batch.len() as f64);
    let snapshot = state.cache.snapshot();
    let valid = validate_batch(&batch, &snapshot.lifecycle, chrono::Utc::now()).map_err(|problems| {
        for p in &problems {
            state.metrics.events_rejected.with_label_values(&[p.reason]).inc();
        }
        let details = problems.iter().map(|p| serde_json::to_value(p).unwrap_or_default()).collect();
        let message = format!("{} problem(s) in the batch; nothing was stored.", problems.len());
        ApiError::new(Code::ValidationFailed, message).with_details(details)
    })?;
    let mut conn = state.pool.get().await?;
    let outcome = events::ingest(&mut conn, &key.name, &valid, &snapshot.lifecycle).await?;
    state.metrics.events.with_label_values(&["accepted"]).inc_by(outcome.accepted as u64);
    state.metrics.events.with_label_values(&["duplicate"]).inc_by(outcome.duplicates as u64);
    Ok(HttpResponse::Ok().json(outcome))
}
