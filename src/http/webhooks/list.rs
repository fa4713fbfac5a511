//! `GET /api/v1/webhooks`.

use crate::db::models::webhooks::{self, Webhook};
use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

/// `{"webhooks": [webhook, …]}`, secrets left out.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookList)]
pub(super) struct List {
    /// Every webhook, oldest first.
    webhooks: Vec<Webhook>,
}

/// Every webhook (without its secret).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "list_webhooks",
    tag = "webhooks",
    responses((status = 200, description = "Every webhook.", body = List)),
    security(("admin_key" = []))
)]
#[get("/api/v1/webhooks")]
#[tracing::instrument(skip_all)]
pub(super) async fn list(state: web::Data<AppState>, _admin: AdminKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(List { webhooks: webhooks::list(&mut conn).await? }))
}
