//! Embedded diesel migrations (`migrations/`), run by `stagelab migrate` and at start.

use super::SetupError;
use diesel::connection::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The migrations, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Serialises migrations across processes that start at the same time.
const LOCK_ID: i64 = 0x5374_6167_654c_6162; // "StageLab"

type SyncConn = AsyncConnectionWrapper<AsyncPgConnection>;

/// Runs every pending migration; returns the versions applied.
pub async fn run_pending(url: &str) -> Result<Vec<String>, SetupError> {
    with_lock(url, |conn| conn.run_pending_migrations(MIGRATIONS).map(|v| v.iter().map(ToString::to_string).collect()))
        .await
}

/// Reverts every migration (tests and `down.sql` checks); returns the versions reverted.
pub async fn revert_all(url: &str) -> Result<Vec<String>, SetupError> {
    with_lock(url, |conn| conn.revert_all_migrations(MIGRATIONS).map(|v| v.iter().map(ToString::to_string).collect()))
        .await
}

/// The versions not yet applied.
pub async fn pending(url: &str) -> Result<Vec<String>, SetupError> {
    with_lock(url, |conn| conn.pending_migrations(MIGRATIONS).map(|v| v.iter().map(|m| m.name().to_string()).collect()))
        .await
}

type MigrationResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs `f` on a blocking thread with a sync connection holding the migration lock.
async fn with_lock<T, F>(url: &str, f: F) -> Result<T, SetupError>
where
    T: Send + 'static,
    F: FnOnce(&mut SyncConn) -> MigrationResult<T> + Send + 'static,
{
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut conn = SyncConn::establish(&url).map_err(|e| SetupError::Connect(e.to_string()))?;
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(LOCK_ID)
            .execute(&mut conn)
            .map_err(|e| SetupError::Migrate(e.to_string()))?;
        let result = f(&mut conn).map_err(|e| SetupError::Migrate(e.to_string()));
        let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<diesel::sql_types::BigInt, _>(LOCK_ID)
            .execute(&mut conn);
        result
    })
    .await
    .map_err(|e| SetupError::Migrate(e.to_string()))?
}
