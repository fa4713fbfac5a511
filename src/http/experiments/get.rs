//! `GET /api/v1/experiments/{key}`.

use crate::db::models::experiments;
use crate::errors::{ApiError, Code};
use crate::http::auth::AdminKey;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

/// One experiment's definition and status.
#[utoipa::path(
    get,
    path = "/api/v1/experiments/{key}",
    operation_id = "get_experiment",
    tag = "experiments",
    params(("key" = String, Path, description = "The experiment's key.", example = "welcome-offer")),
    responses(
        (status = 200, description = "The experiment.", body = experiments::StoredExperiment),
        (status = 404, description = "No experiment with this key (none has control characters or over 200 bytes).", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[get("/api/v1/experiments/{key}")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn get(
    state: web::Data<AppState>,
    _admin: AdminKey,
    key: ExperimentKey,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let found = experiments::find(&mut conn, &key).await?;
    let found = found.ok_or_else(|| ApiError::new(Code::NotFound, format!("No experiment with key {key:?}.")))?;
    Ok(HttpResponse::Ok().json(found))
}
