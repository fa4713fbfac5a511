//! `users`: admin UI users with argon2 password hashes.

use crate::db::schema::users;
use crate::domain::password::UserRole;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A user to store.
#[derive(Debug, diesel::Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Normalised (lower-case) e-mail.
    pub email: &'a str,
    /// argon2 PHC string.
    pub password_hash: &'a str,
    /// `admin`, `editor` or `viewer` ([`UserRole::as_str`]; text, as for `NewApiKey::role`).
    pub role: &'a str,
}

/// A stored user.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    /// Id.
    pub id: i64,
    /// E-mail.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Role (a stored text that is not a role fails the load).
    pub role: UserRole,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When disabled.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Stores a user; a taken e-mail is a unique violation.
pub async fn insert(conn: &mut AsyncPgConnection, user: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table).values(user).returning(User::as_returning()).get_result(conn).await
}

/// The user with this (normalised) e-mail.
pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn).await.optional()
}

/// How many users exist.
pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn).await
}

/// Every user, by e-mail.
pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<User>> {
    users::table.order(users::email).select(User::as_select()).load(conn).await
}

/// Sets or clears `disabled_at`; returns the user, `None` when there is no such user.
pub async fn set_disabled(conn: &mut AsyncPgConnection, id: i64, disabled: bool) -> QueryResult<Option<User>> {
    let at = disabled.then(chrono::Utc::now);
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::disabled_at.eq(at))
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .optional()
}
