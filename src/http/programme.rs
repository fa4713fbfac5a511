//! `GET /api/v1/programme` (admin key): the programme holdout against everyone else (CONTRACT §9).

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

/// Per stage with recorded members, the holdout (control) against everyone else on reaching each
/// later stage, revenue and orders per customer and referral, within each of
/// `programme_windows_days` (only members whose window has elapsed count).
#[utoipa::path(
    get,
    path = "/api/v1/programme",
    operation_id = "get_programme",
    tag = "experiments",
    responses((status = 200, description = "The programme analysis.", body = crate::analysis::programme::Programme)),
    security(("admin_key" = []))
)]
#[get("/api/v1/programme")]
#[tracing::instrument(skip_all)]
async fn get(state: web::Data<AppState>, _key: AdminKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let programme = crate::analysis::compute_programme(&mut conn, chrono::Utc::now()).await?;
    Ok(HttpResponse::Ok().json(programme))
}
