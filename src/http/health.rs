//! `GET /healthz` (the process is up) and `GET /readyz` (the database answers).

use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use diesel_async::RunQueryDsl;
use std::time::Duration;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let check = async {
        let mut conn = state.pool.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok::<_, ApiError>(())
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready", "database": "ok"}))),
        Ok(Err(e)) => Err(ApiError::unavailable(format!("Not ready: the database does not answer ({}).", e.message))),
        Err(_) => Err(ApiError::unavailable("Not ready: the database did not answer within 3 s.")),
    }
}
