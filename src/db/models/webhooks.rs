//! `webhooks`: where notifications go (CONTRACT §8). The secret is kept as given, since it signs
//! every delivery; it is read only by the delivery worker and never leaves in a listing.

use crate::db::schema::webhooks;
use crate::domain::notice::EventType;
use crate::domain::webhook::{Format, WebhookSpec};
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

/// A webhook as listed: everything but its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<EventType>,
    /// Body shape.
    pub format: Format,
    /// Who created it (`user:<email>` or `key:<name>`).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct Row {
    id: Uuid,
    url: String,
    events: Vec<String>,
    format: Format,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for Webhook {
    type Error = diesel::result::Error;

    fn try_from(row: Row) -> QueryResult<Webhook> {
        let events = row.events.iter().map(|e| e.parse()).collect::<Result<_, _>>();
        let events = events.map_err(|e| super::bad_json("webhook event type", e))?;
        Ok(Webhook {
            id: row.id,
            url: row.url,
            events,
            format: row.format,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

/// Stores a webhook with its secret; returns it as listed.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    spec: &WebhookSpec,
    secret: &str,
    created_by: &str,
) -> QueryResult<Webhook> {
    let events: Vec<&str> = spec.events.iter().map(|e| e.as_str()).collect();
    let row = diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(Uuid::new_v4()),
            webhooks::url.eq(spec.url.as_str()),
            webhooks::events.eq(events),
            webhooks::format.eq(spec.format),
            webhooks::secret.eq(secret),
            webhooks::created_by.eq(created_by),
        ))
        .returning(Row::as_returning())
        .get_result(conn)
        .await?;
    row.try_into()
}

/// Every webhook, oldest first.
pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Webhook>> {
    let rows = webhooks::table.order(webhooks::created_at.asc()).select(Row::as_select()).load(conn).await?;
    rows.into_iter().map(Webhook::try_from).collect()
}

/// One webhook, if it exists.
pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Webhook>> {
    use diesel::OptionalExtension;
    let row = webhooks::table.find(id).select(Row::as_select()).first(conn).await.optional()?;
    row.map(Webhook::try_from).transpose()
}

/// Deletes a webhook and its deliveries (pending ones are not sent); returns it if it existed.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Webhook>> {
    use diesel::OptionalExtension;
    let row = diesel::delete(webhooks::table.find(id)).returning(Row::as_returning()).get_result(conn).await;
    row.optional()?.map(Webhook::try_from).transpose()
}
