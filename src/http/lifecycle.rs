//! `GET /api/v1/lifecycle` (admin key): the ordered lifecycle stages, the holdout share and the
//! stage rules, as `experiments/lifecycle.toml` defines them.

use crate::db::models::stages;
use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get);
}

/// `{"stages": [{"id", "name", "description"}, …], "holdout": 0.0, "rules": {…}}`.
#[get("/api/v1/lifecycle")]
#[tracing::instrument(skip_all)]
async fn get(state: web::Data<AppState>, _key: AdminKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    Ok(HttpResponse::Ok().json(lifecycle))
}
