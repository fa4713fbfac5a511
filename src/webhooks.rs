//! Creating, testing and deleting webhooks (with audit entries): one place for the API and the UI.
//! The audit entries name the URL's host only (a URL's path may hold a token) and never the
//! secret.

use crate::db::models::audit;
use crate::db::models::webhooks::{self, Webhook};
use crate::domain::webhook::{new_secret, WebhookSpec};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

/// Stores a webhook for `spec` with a new secret; returns it and the secret (to show once).
pub async fn create(conn: &mut AsyncPgConnection, spec: &WebhookSpec, actor: &str) -> QueryResult<(Webhook, String)> {
    let secret = new_secret();
    conn.transaction(async |conn| {
        let webhook = webhooks::insert(conn, spec, &secret, actor).await?;
        let id = webhook.id.to_string();
        let after =
            serde_json::json!({"host": spec.url.host_str(), "events": webhook.events, "format": webhook.format});
        let entry = audit::NewEntry {
            actor,
            action: "webhook.create",
            entity_type: "webhook",
            entity_key: &id,
            before: None,
            after: Some(after),
        };
        audit::record(conn, &entry).await?;
        Ok((webhook, secret))
    })
    .await
}

/// Queues a test delivery to webhook `id` alone; returns the notification's id, or `None` when
/// there is no such webhook.
pub async fn test(conn: &mut AsyncPgConnection, id: Uuid, actor: &str) -> QueryResult<Option<Uuid>> {
    conn.transaction(async |conn| match webhooks::find(conn, id).await? {
        Some(_) => crate::notify::test(conn, id, actor).await.map(Some),
        None => Ok(None),
    })
    .await
}

/// Deletes webhook `id` (and its deliveries); returns it if it existed.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid, actor: &str) -> QueryResult<Option<Webhook>> {
    conn.transaction(async |conn| {
        let Some(webhook) = webhooks::delete(conn, id).await? else { return Ok(None) };
        let key = id.to_string();
        let host = url::Url::parse(&webhook.url).ok().and_then(|u| u.host_str().map(str::to_string));
        let before = serde_json::json!({"host": host, "events": webhook.events, "format": webhook.format});
        let entry = audit::NewEntry {
            actor,
            action: "webhook.delete",
            entity_type: "webhook",
            entity_key: &key,
            before: Some(before),
            after: None,
        };
        audit::record(conn, &entry).await?;
        Ok(Some(webhook))
    })
    .await
}
