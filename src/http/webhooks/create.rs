//! `POST /api/v1/webhooks`.

use crate::db::models::webhooks::Webhook;
use crate::domain::webhook::WebhookSpec;
use crate::errors::{ApiError, Code};
use crate::http::auth::AdminKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WebhookInput, example = json!({"url": "https://hooks.example.com/stagelab",
    "events": ["experiment.decision", "experiment.guardrail"], "format": "json"}))]
pub(super) struct Input {
    /// An `http` or `https` URL of at most 2,000 characters, without credentials.
    url: String,
    /// Event types: `experiment.started`, `experiment.paused`, `experiment.stopped`,
    /// `experiment.shipped`, `experiment.decision`, `experiment.srm`, `experiment.guardrail`.
    events: Vec<String>,
    /// `json` (the default) or `slack`.
    format: Option<String>,
}

/// The answer: the webhook and, this once, its signing secret.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CreatedWebhook)]
pub(super) struct Created {
    #[serde(flatten)]
    webhook: Webhook,
    /// Signs every delivery (`X-Stagelab-Signature`); shown only now.
    secret: String,
}

/// Creates a webhook. Each invalid field is a 422 naming it; nothing is stored then.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "create_webhook",
    tag = "webhooks",
    request_body = Input,
    responses((status = 201, description = "Created; the secret is shown only in this answer.", body = Created)),
    security(("admin_key" = []))
)]
#[post("/api/v1/webhooks")]
#[tracing::instrument(skip_all)]
pub(super) async fn create(
    state: web::Data<AppState>,
    admin: AdminKey,
    body: web::Json<Input>,
) -> Result<HttpResponse, ApiError> {
    let spec = WebhookSpec::parse(&body.url, &body.events, body.format.as_deref()).map_err(|problems| {
        let message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" ");
        let details = problems.iter().map(|p| serde_json::json!({"field": p.field, "message": p.message})).collect();
        ApiError::new(Code::ValidationFailed, message).with_details(details)
    })?;
    let mut conn = state.pool.get().await?;
    let (webhook, secret) = crate::webhooks::create(&mut conn, &spec, &format!("key:{}", admin.0.name)).await?;
    tracing::info!(webhook = %webhook.id, "webhook created");
    Ok(HttpResponse::Created().json(Created { webhook, secret }))
}
