//! `GET /api/v1/experiments`.

use crate::db::models::experiments;
use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

#[get("/api/v1/experiments")]
#[tracing::instrument(skip_all)]
pub(super) async fn list(state: web::Data<AppState>, _key: AdminKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let all = experiments::load_all(&mut conn).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "experiments": all })))
}
