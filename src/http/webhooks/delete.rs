//! `DELETE /api/v1/webhooks/{id}`.

use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{delete, web, HttpResponse};

/// Deletes a webhook; its pending deliveries are dropped.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "delete_webhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id (a UUID).")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "No webhook with this id.", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[delete("/api/v1/webhooks/{id}")]
#[tracing::instrument(skip_all)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    admin: AdminKey,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let uuid = super::webhook_id(&id)?;
    let mut conn = state.pool.get().await?;
    let actor = format!("key:{}", admin.0.name);
    crate::webhooks::delete(&mut conn, uuid, &actor).await?.ok_or_else(|| super::not_found(&id))?;
    tracing::info!(webhook = %uuid, "webhook deleted");
    Ok(HttpResponse::NoContent().finish())
}
