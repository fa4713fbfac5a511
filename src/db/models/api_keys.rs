//! `api_keys`: storefront and admin keys, stored as SHA-256 digests.

use crate::db::schema::api_keys;
use crate::domain::key::KeyRole;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A key to store.
#[derive(Debug, diesel::Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    /// Label.
    pub name: &'a str,
    /// `storefront` or `admin` ([`KeyRole::as_str`]; text, so that callers outside the crate,
    /// such as the test support, build it as they always have; the column's CHECK refuses others).
    pub role: &'a str,
    /// First characters of the token.
    pub prefix: &'a str,
    /// SHA-256 of the token.
    pub token_hash: &'a str,
}

/// A stored key (without any secret).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    /// Id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// Role (a stored text that is not a role fails the load).
    pub role: KeyRole,
    /// First characters of the token.
    pub prefix: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last used, if tracked.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a key; returns it.
pub async fn insert(conn: &mut AsyncPgConnection, key: &NewApiKey<'_>) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table).values(key).returning(ApiKey::as_returning()).get_result(conn).await
}

/// Every key, newest first.
pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<ApiKey>> {
    api_keys::table.order(api_keys::id.desc()).select(ApiKey::as_select()).load(conn).await
}

/// The active (not revoked) keys whose tokens start with `prefix`, with their digests.
pub async fn find_active_by_prefix(conn: &mut AsyncPgConnection, prefix: &str) -> QueryResult<Vec<(String, ApiKey)>> {
    api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::token_hash, ApiKey::as_select()))
        .load(conn)
        .await
}

/// The active key of `token`: found by its prefix, its digest compared in constant time.
pub async fn find_active(conn: &mut AsyncPgConnection, token: &str) -> QueryResult<Option<ApiKey>> {
    let Some(prefix) = crate::domain::key::prefix(token) else { return Ok(None) };
    let digest = crate::domain::key::hash(token);
    let candidates = find_active_by_prefix(conn, prefix).await?;
    Ok(candidates.into_iter().find(|(stored, _)| crate::domain::key::digests_match(stored, &digest)).map(|(_, k)| k))
}

/// Revokes a key by id; returns whether an active key was revoked.
pub async fn revoke(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(api_keys::table.filter(api_keys::id.eq(id)).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Every active key with its token digest (for the in-memory key table).
pub async fn active_with_hashes(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, ApiKey)>> {
    api_keys::table
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::token_hash, ApiKey::as_select()))
        .load(conn)
        .await
}
