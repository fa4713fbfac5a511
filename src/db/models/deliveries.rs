//! `notifications` (the outbox) and `deliveries` (one per notification and subscribed webhook).
//!
//! A notification and its deliveries are written by [`enqueue`] in the caller's transaction, the
//! one that makes the change they report: both commit or neither does. The delivery worker
//! [`claim`]s due deliveries with `FOR UPDATE SKIP LOCKED`, so that two nodes never take the same
//! one, and leases them: a claimed delivery is due again only after the lease, should its node die
//! while sending.

use crate::db::schema::{deliveries, notifications};
use crate::domain::notice::Notice;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text, Uuid as SqlUuid};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, Queryable, QueryableByName, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

/// Stores `notice` and a pending delivery for each webhook subscribed to its type (or only for
/// webhook `only`, for a test delivery); returns how many deliveries were made.
pub async fn enqueue(conn: &mut AsyncPgConnection, notice: &Notice, only: Option<Uuid>) -> QueryResult<usize> {
    let body = serde_json::to_value(notice).map_err(|e| super::bad_json("notification", e))?;
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(notice.id),
            notifications::kind.eq(notice.kind),
            notifications::experiment.eq(&notice.experiment.key),
            notifications::body.eq(body),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "INSERT INTO deliveries (notification_id, webhook_id) \
         SELECT $1, id FROM webhooks WHERE ($3::uuid IS NULL AND $2 = ANY (events)) OR id = $3",
    )
    .bind::<SqlUuid, _>(notice.id)
    .bind::<Text, _>(notice.kind.as_str())
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
    .execute(conn)
    .await
}

/// A delivery taken by the worker, with what it needs to send it.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    /// Delivery id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Attempts so far, this one included.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// When the delivery was made (retries stop 24 hours later).
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// The notification.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub body: serde_json::Value,
    /// The webhook's URL.
    #[diesel(sql_type = Text)]
    pub url: String,
    /// `json` or `slack`.
    #[diesel(sql_type = Text)]
    pub format: String,
    /// The signing secret.
    #[diesel(sql_type = Text)]
    pub secret: String,
}

/// Takes up to `limit` due deliveries, counts an attempt for each, and leases them for
/// `lease_ms` milliseconds.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64, lease_ms: i64) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "WITH due AS (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= now() \
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         UPDATE deliveries d SET attempts = d.attempts + 1, \
                next_attempt_at = now() + $2 * interval '1 millisecond' \
         FROM due, notifications n, webhooks w \
         WHERE d.id = due.id AND n.id = d.notification_id AND w.id = d.webhook_id \
         RETURNING d.id, d.attempts, d.created_at, n.body, w.url, w.format, w.secret",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_ms)
    .load(conn)
    .await
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A 2xx answer with this status.
    Delivered(i32),
    /// A failed attempt (its status if there was an answer, and why); retried at `next`, or
    /// given up when `next` is `None`.
    Failed {
        /// The HTTP status, if the receiver answered.
        status: Option<i32>,
        /// Why, as a sentence.
        error: String,
        /// When to try again.
        next: Option<DateTime<Utc>>,
    },
}

/// Records the outcome of attempt `attempt` on delivery `id`: only while it is still that attempt
/// of a pending delivery (a node that outlived its lease does not overwrite a later attempt).
/// Returns whether it was recorded.
pub async fn record(conn: &mut AsyncPgConnection, id: i64, attempt: i32, outcome: &Outcome) -> QueryResult<bool> {
    let target =
        deliveries::table.find(id).filter(deliveries::attempts.eq(attempt)).filter(deliveries::state.eq("pending"));
    let query = match outcome {
        Outcome::Delivered(status) => diesel::update(target)
            .set((
                deliveries::state.eq("delivered"),
                deliveries::last_status.eq(Some(*status)),
                deliveries::last_error.eq(None::<String>),
                deliveries::delivered_at.eq(Some(Utc::now())),
            ))
            .execute(conn),
        Outcome::Failed { status, error, next } => diesel::update(target)
            .set((
                deliveries::state.eq(if next.is_some() { "pending" } else { "failed" }),
                deliveries::last_status.eq(*status),
                deliveries::last_error.eq(Some(error)),
                deliveries::next_attempt_at.eq(next.unwrap_or_else(Utc::now)),
            ))
            .execute(conn),
    };
    query.await.map(|rows| rows == 1)
}

/// A delivery as the webhooks page shows it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// The notification's id (the body's `id`).
    pub notification_id: Uuid,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The last answer's status.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery with the type of its notification.
pub type Listed = (Delivery, String);

/// The newest `limit` deliveries of webhook `webhook`, newest first, each with its type.
pub async fn recent(conn: &mut AsyncPgConnection, webhook: Uuid, limit: i64) -> QueryResult<Vec<Listed>> {
    deliveries::table
        .inner_join(notifications::table)
        .filter(deliveries::webhook_id.eq(webhook))
        .order(deliveries::id.desc())
        .limit(limit)
        .select((Delivery::as_select(), notifications::kind))
        .load(conn)
        .await
}
