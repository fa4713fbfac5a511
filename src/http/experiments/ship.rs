//! `POST /api/v1/experiments/{key}/ship` and `…/unship` (CONTRACT §7).

use crate::changes::{self, ChangeError};
use crate::db::models::experiments;
use crate::errors::{ApiError, Code};
use crate::http::auth::AdminKey;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

/// The body of a ship.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ShipInput, example = json!({"variant": "coupon10"}))]
pub(super) struct ShipInput {
    /// The variant served to every eligible customer from now on.
    variant: String,
}

/// Stops the experiment if it runs and ships a variant: every customer it would have been
/// eligible for (stage and targeting; traffic ignored; the holdout respected) gets that variant's
/// payload with `"shipped": true`, and no exposure is stored. Refused (422) for an unknown
/// variant, a draft, and an experiment already shipped.
#[utoipa::path(
    post,
    path = "/api/v1/experiments/{key}/ship",
    operation_id = "ship_experiment",
    tag = "experiments",
    params(("key" = String, Path, description = "The experiment's key.", example = "welcome-offer")),
    request_body = ShipInput,
    responses(
        (status = 200, description = "Shipped: the experiment as now stored.", body = experiments::StoredExperiment),
        (status = 404, description = "No experiment with this key.", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[post("/api/v1/experiments/{key}/ship")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn ship(
    state: web::Data<AppState>,
    admin: AdminKey,
    key: ExperimentKey,
    body: web::Json<ShipInput>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let actor = format!("key:{}", admin.0.name);
    changes::ship(&mut conn, &key, &body.variant, &actor).await.map_err(|e| refused(e, "variant"))?;
    drop(conn);
    answer(&state, &key).await
}

/// Ends a rollout: the experiment is stopped again and serves nothing. Refused (422) unless it
/// is shipped.
#[utoipa::path(
    post,
    path = "/api/v1/experiments/{key}/unship",
    operation_id = "unship_experiment",
    tag = "experiments",
    params(("key" = String, Path, description = "The experiment's key.", example = "welcome-offer")),
    responses(
        (status = 200, description = "Unshipped: the experiment as now stored.", body = experiments::StoredExperiment),
        (status = 404, description = "No experiment with this key.", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[post("/api/v1/experiments/{key}/unship")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn unship(
    state: web::Data<AppState>,
    admin: AdminKey,
    key: ExperimentKey,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let actor = format!("key:{}", admin.0.name);
    changes::unship(&mut conn, &key, &actor).await.map_err(|e| refused(e, "status"))?;
    drop(conn);
    answer(&state, &key).await
}

/// The experiment as stored now, once this node's definitions include the change.
async fn answer(state: &AppState, key: &str) -> Result<HttpResponse, ApiError> {
    state.reload_definitions().await;
    let mut conn = state.pool.get().await?;
    let found = experiments::find(&mut conn, key).await?;
    Ok(HttpResponse::Ok().json(found.ok_or_else(|| ApiError::of(Code::NotFound))?))
}

/// A refused change as the API answers it: 404 for a missing experiment, 422 naming `field`.
fn refused(e: ChangeError, field: &str) -> ApiError {
    match e {
        ChangeError::NotFound(key) => ApiError::new(Code::NotFound, format!("No experiment with key {key:?}.")),
        ChangeError::Refused(message) | ChangeError::Taken(message) => {
            let details = vec![serde_json::json!({"field": field, "message": message})];
            ApiError::new(Code::ValidationFailed, message).with_details(details)
        }
        ChangeError::Conflict => ApiError::new(Code::Unavailable, "The experiment changed meanwhile; try again."),
        ChangeError::Database(e) => e.into(),
    }
}
