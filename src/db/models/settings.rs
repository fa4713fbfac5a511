//! `settings`: service-wide settings as JSON values by key.

use crate::db::schema::settings;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

/// The key of the global holdout: `{"share": 0.05}`.
pub const HOLDOUT: &str = "holdout";
/// The key of the stage rules (`StageRules` as JSON).
pub const STAGE_RULES: &str = "stage_rules";
/// The key of the programme analysis's windows: `[30, 90]`.
pub const PROGRAMME_WINDOWS: &str = "programme_windows_days";
/// The key of the demo's simulated history: `{"status": "running"|"done", "key_id", …}`.
pub const DEMO_SIMULATION: &str = "demo_simulation";

/// A setting's value.
pub async fn get(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<Option<Value>> {
    settings::table.filter(settings::key.eq(key)).select(settings::value).first(conn).await.optional()
}

/// Sets a setting.
pub async fn put(conn: &mut AsyncPgConnection, key: &str, value: &Value) -> QueryResult<()> {
    diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .on_conflict(settings::key)
        .do_update()
        .set((settings::value.eq(value), settings::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await
        .map(|_| ())
}
