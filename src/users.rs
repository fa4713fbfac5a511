//! Creating and disabling UI users with their audit entries: one place for the CLI and the UI.

use crate::db::models::{audit, sessions, users};
use crate::domain::password::UserRole;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// Stores a user (e-mail normalised, password hashed) and records who did; `false` when the
/// e-mail is taken.
pub async fn create(
    conn: &mut AsyncPgConnection,
    email: &str,
    role: UserRole,
    password_hash: &str,
    actor: &str,
) -> QueryResult<bool> {
    let result = conn
        .transaction(async |conn| {
            let new = users::NewUser { email, password_hash, role: role.as_str() };
            let user = users::insert(conn, &new).await?;
            let after = serde_json::json!({"id": user.id, "email": user.email, "role": user.role});
            let entry = audit::NewEntry {
                actor,
                action: "user.create",
                entity_type: "user",
                entity_key: email,
                before: None,
                after: Some(after),
            };
            audit::record(conn, &entry).await
        })
        .await;
    match result {
        Ok(()) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Disables (or enables) a user; disabling ends their sessions. `false` when there is no such user.
pub async fn set_disabled(conn: &mut AsyncPgConnection, id: i64, disabled: bool, actor: &str) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        let Some(user) = users::set_disabled(conn, id, disabled).await? else { return Ok(false) };
        if disabled {
            sessions::delete_for_user(conn, id).await?;
        }
        let entry = audit::NewEntry {
            actor,
            action: if disabled { "user.disable" } else { "user.enable" },
            entity_type: "user",
            entity_key: &user.email,
            before: Some(serde_json::json!({"disabled": !disabled})),
            after: Some(serde_json::json!({"disabled": disabled})),
        };
        audit::record(conn, &entry).await?;
        Ok(true)
    })
    .await
}
