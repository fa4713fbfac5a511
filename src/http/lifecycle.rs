//! `GET /api/v1/lifecycle` (admin key): the ordered lifecycle stages, the holdout share and the
//! stage rules, as `experiments/lifecycle.toml` defines them.

use crate::db::models::stages;
use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

/// This route's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get))]
pub struct ApiDoc;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get);
}

/// The ordered lifecycle stages, the holdout share and the stage rules:
/// `{"stages": [{"id", "name", "description"}, …], "holdout": 0.0, "rules": {…}}`.
#[utoipa::path(
    get,
    path = "/api/v1/lifecycle",
    operation_id = "get_lifecycle",
    tag = "experiments",
    responses((status = 200, description = "The lifecycle.", body = crate::domain::lifecycle::Lifecycle)),
    security(("admin_key" = []))
)]
#[get("/api/v1/lifecycle")]
#[tracing::instrument(skip_all)]
async fn get(state: web::Data<AppState>, _key: AdminKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    Ok(HttpResponse::Ok().json(lifecycle))
}
