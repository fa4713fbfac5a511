//! `GET /api/v1/experiments`.

use crate::db::models::experiments;
use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

/// `{"experiments": [experiment, …]}`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ExperimentList)]
pub(super) struct List {
    /// Every experiment, whatever its status.
    experiments: Vec<experiments::StoredExperiment>,
}

/// Every experiment's definition and status.
#[utoipa::path(
    get,
    path = "/api/v1/experiments",
    operation_id = "list_experiments",
    tag = "experiments",
    responses((status = 200, description = "Every experiment.", body = List)),
    security(("admin_key" = []))
)]
#[get("/api/v1/experiments")]
#[tracing::instrument(skip_all)]
pub(super) async fn list(state: web::Data<AppState>, _key: AdminKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let all = experiments::load_all(&mut conn).await?;
    Ok(HttpResponse::Ok().json(List { experiments: all }))
}
