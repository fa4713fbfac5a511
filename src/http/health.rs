//! `GET /healthz` (the process is up) and `GET /readyz` (the database answers).

use crate::errors::{ApiError, Code};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use std::time::Duration;

/// These routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz))]
pub struct ApiDoc;

/// The body of a healthy answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (healthz) or `ready` (readyz).
    status: &'static str,
    /// `ok` when the database answered (readyz only).
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations",
    responses((status = 200, description = "Up.", body = Health, example = json!({"status": "ok"}))))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", database: None })
}

/// The database answers (within 3 s).
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready.", body = Health, example = json!({"status": "ready", "database": "ok"})),
        (status = 503, description = "The database does not answer.", body = crate::errors::Envelope),
    ))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let check = async {
        let mut conn = state.pool.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok::<_, ApiError>(())
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Health { status: "ready", database: Some("ok") })),
        Ok(Err(e)) => {
            Err(ApiError::new(Code::Unavailable, format!("Not ready: the database does not answer ({}).", e.message)))
        }
        Err(_) => Err(ApiError::new(Code::Unavailable, "Not ready: the database did not answer within 3 s.")),
    }
}
