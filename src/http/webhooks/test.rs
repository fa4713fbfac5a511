//! `POST /api/v1/webhooks/{id}/test`.

use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use serde::Serialize;

/// `{"id": …}`: the test notification's id, as the receiver will see it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = TestDelivery)]
pub(super) struct Queued {
    /// The notification's id.
    #[schema(value_type = String, format = Uuid)]
    id: uuid::Uuid,
}

/// Queues a `webhook.test` delivery to this webhook alone, signed and retried like any other.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/test",
    operation_id = "test_webhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id (a UUID).")),
    responses(
        (status = 202, description = "Queued.", body = Queued),
        (status = 404, description = "No webhook with this id.", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[post("/api/v1/webhooks/{id}/test")]
#[tracing::instrument(skip_all)]
pub(super) async fn test(
    state: web::Data<AppState>,
    admin: AdminKey,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let uuid = super::webhook_id(&id)?;
    let actor = format!("key:{}", admin.0.name);
    let mut conn = state.pool.get().await?;
    let queued = crate::webhooks::test(&mut conn, uuid, &actor).await?.ok_or_else(|| super::not_found(&id))?;
    Ok(HttpResponse::Accepted().json(Queued { id: queued }))
}
