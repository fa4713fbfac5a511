//! Creating and revoking API keys with their audit entries: one place for the CLI and the UI.

use crate::db::models::{api_keys, audit};
use crate::domain::key::{self, KeyRole};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// Checks a key's label.
pub fn validate_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("the key name must have 1 to 100 characters".into());
    }
    Ok(name)
}

/// Creates a key (name already validated) and records who did; returns it and its token, which
/// is never stored and must be shown once.
pub async fn create(
    conn: &mut AsyncPgConnection,
    name: &str,
    role: KeyRole,
    actor: &str,
) -> QueryResult<(api_keys::ApiKey, String)> {
    let token = key::generate(role);
    conn.transaction(async |conn| {
        let new = api_keys::NewApiKey { name, role: role.as_str(), prefix: &token.prefix, token_hash: &token.hash };
        let stored = api_keys::insert(conn, &new).await?;
        let after =
            serde_json::json!({"id": stored.id, "name": stored.name, "role": stored.role, "prefix": stored.prefix});
        let entry = audit::NewEntry {
            actor,
            action: "key.create",
            entity_type: "api_key",
            entity_key: &stored.id.to_string(),
            before: None,
            after: Some(after),
        };
        audit::record(conn, &entry).await?;
        Ok((stored, token.token.clone()))
    })
    .await
}

/// Revokes an active key and records who did; `false` when there is no active key `id`.
pub async fn revoke(conn: &mut AsyncPgConnection, id: i64, actor: &str) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        if !api_keys::revoke(conn, id).await? {
            return Ok(false);
        }
        let entry = audit::NewEntry {
            actor,
            action: "key.revoke",
            entity_type: "api_key",
            entity_key: &id.to_string(),
            before: None,
            after: None,
        };
        audit::record(conn, &entry).await?;
        Ok(true)
    })
    .await
}
