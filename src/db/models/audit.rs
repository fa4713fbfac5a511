//! `audit_log`: who changed what, when, with before and after.

use crate::db::schema::audit_log;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

/// An entry to record.
#[derive(Debug, diesel::Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewEntry<'a> {
    /// Who: `user:<email>`, `key:<name>` or `cli:<os user>`.
    pub actor: &'a str,
    /// What: e.g. `experiment.create`, `experiment.update`, `lifecycle.update`, `key.create`.
    pub action: &'a str,
    /// Kind of thing changed.
    pub entity_type: &'a str,
    /// Which one.
    pub entity_key: &'a str,
    /// State before (none for a creation).
    pub before: Option<Value>,
    /// State after (none for a deletion).
    pub after: Option<Value>,
}

/// A recorded entry.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    /// Id.
    pub id: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Kind of thing.
    pub entity_type: String,
    /// Which one.
    pub entity_key: String,
    /// Before.
    pub before: Option<Value>,
    /// After.
    pub after: Option<Value>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Records an entry.
pub async fn record(conn: &mut AsyncPgConnection, entry: &NewEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table).values(entry).execute(conn).await.map(|_| ())
}

/// The newest entries first.
pub async fn recent(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Entry>> {
    audit_log::table.order(audit_log::id.desc()).limit(limit).select(Entry::as_select()).load(conn).await
}
