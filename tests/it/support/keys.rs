//! API keys written straight into a test database, for tests that need one before the app runs
//! or without an app of their own.

use diesel_async::AsyncPgConnection;
use stagelab::db::models::api_keys::{self, NewApiKey};
use stagelab::domain::key::{self, KeyRole};

/// Stores a new key named `name` with `role`; returns its token.
pub async fn insert_key(conn: &mut AsyncPgConnection, name: &str, role: KeyRole) -> String {
    let token = key::generate(role);
    let new = NewApiKey { name, role: role.as_str(), prefix: &token.prefix, token_hash: &token.hash };
    api_keys::insert(conn, &new).await.unwrap();
    token.token
}
