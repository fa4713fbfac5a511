//! `sessions`: admin UI logins. Only a SHA-256 digest of the cookie's token is stored.

use super::users::User;
use crate::db::schema::{sessions, users};
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A session to store.
#[derive(Debug, diesel::Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    /// SHA-256 of the cookie token.
    pub token_hash: &'a str,
    /// The user.
    pub user_id: i64,
    /// The token forms must carry.
    pub csrf_token: &'a str,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// Stores a session.
pub async fn insert(conn: &mut AsyncPgConnection, session: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table).values(session).execute(conn).await.map(drop)
}

/// The unexpired session with this token digest, with its enabled user, and its CSRF token.
pub async fn find_valid(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(User, String)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(users::disabled_at.is_null())
        .select((User::as_select(), sessions::csrf_token))
        .first(conn)
        .await
        .optional()
}

/// Ends a session (logout).
pub async fn delete(conn: &mut AsyncPgConnection, token_hash: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn).await.map(drop)
}

/// Removes expired sessions; returns how many.
pub async fn delete_expired(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn).await
}

/// Ends every session of a user (when they are disabled).
pub async fn delete_for_user(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn).await
}
