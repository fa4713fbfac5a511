//! `POST /api/v1/events`: a batch of 1 to 10,000 events, all or nothing.

use crate::db::models::events;
use crate::errors::ApiError;
use crate::events::{validate_batch, MAX_BATCH};
use crate::http::auth::ApiKey;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

/// The body: `{"events": [event, …]}`. Events stay raw JSON here so that validation can report
/// every problem of every event, not only the first one serde meets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Batch {
    events: Vec<Value>,
}

#[post("/api/v1/events")]
#[tracing::instrument(skip_all, fields(batch.size = body.events.len(), key.name = %key.name))]
pub(super) async fn create(
    state: web::Data<AppState>,
    key: ApiKey,
    body: web::Json<Batch>,
) -> Result<HttpResponse, ApiError> {
    let batch = body.into_inner().events;
    if batch.is_empty() {
        return Err(ApiError::unprocessable("`events` must list at least one event.", vec![]));
    }
    if batch.len() > MAX_BATCH {
        let message = format!("At most {MAX_BATCH} events per batch; got {}. Split the batch.", batch.len());
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large", message));
    }
    state.metrics.event_batch.observe(batch.len() as f64);
    let snapshot = state.cache.snapshot();
    let valid = validate_batch(&batch, &snapshot.lifecycle, chrono::Utc::now()).map_err(|problems| {
        for p in &problems {
            state.metrics.events_rejected.with_label_values(&[p.reason]).inc();
        }
        let details = problems.iter().map(|p| serde_json::to_value(p).unwrap_or_default()).collect();
        ApiError::unprocessable(format!("{} problem(s) in the batch; nothing was stored.", problems.len()), details)
    })?;
    let mut conn = state.pool.get().await?;
    let outcome = events::ingest(&mut conn, &key.name, &valid, &snapshot.lifecycle).await?;
    state.metrics.events.with_label_values(&["accepted"]).inc_by(outcome.accepted as u64);
    state.metrics.events.with_label_values(&["duplicate"]).inc_by(outcome.duplicates as u64);
    Ok(HttpResponse::Ok().json(outcome))
}
