//! `lifecycle_stages` (and the holdout share kept beside them in `settings`).

use super::settings;
use crate::db::schema::lifecycle_stages;
use crate::domain::lifecycle::{Lifecycle, ProgrammeWindows, Stage, StageRules};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A stored stage.
#[derive(Debug, Queryable, Selectable, diesel::Insertable, diesel::AsChangeset)]
#[diesel(table_name = lifecycle_stages)]
struct StageRow {
    id: String,
    position: i32,
    name: String,
    description: String,
}

/// The stored lifecycle, in order (empty before the first `apply`), with the holdout share.
pub async fn load(conn: &mut AsyncPgConnection) -> QueryResult<Lifecycle> {
    let rows: Vec<StageRow> =
        lifecycle_stages::table.order(lifecycle_stages::position).select(StageRow::as_select()).load(conn).await?;
    let holdout = settings::get(conn, settings::HOLDOUT).await?.and_then(|v| v["share"].as_f64()).unwrap_or(0.0);
    let stages: Vec<Stage> =
        rows.into_iter().map(|r| Stage { id: r.id, name: r.name, description: r.description }).collect();
    let rules = match settings::get(conn, settings::STAGE_RULES).await? {
        Some(value) => serde_json::from_value(value).map_err(|e| super::bad_json("stage rules", e))?,
        None => StageRules::defaults_for(&stages),
    };
    let windows_days = match settings::get(conn, settings::PROGRAMME_WINDOWS).await? {
        Some(value) => serde_json::from_value(value).map_err(|e| super::bad_json("programme windows", e))?,
        None => ProgrammeWindows::default(),
    };
    Ok(Lifecycle { stages, holdout, rules, windows_days })
}

/// Makes the stored lifecycle equal to `lifecycle`. Removing a stage that customers, events or
/// experiments still use fails with a foreign-key violation. Call inside a transaction.
pub async fn replace(conn: &mut AsyncPgConnection, lifecycle: &Lifecycle) -> QueryResult<()> {
    let ids: Vec<&str> = lifecycle.stages.iter().map(|s| s.id.as_str()).collect();
    diesel::delete(lifecycle_stages::table.filter(lifecycle_stages::id.ne_all(&ids))).execute(conn).await?;
    for (position, stage) in lifecycle.stages.iter().enumerate() {
        let row = StageRow {
            id: stage.id.clone(),
            position: position as i32,
            name: stage.name.clone(),
            description: stage.description.clone(),
        };
        diesel::insert_into(lifecycle_stages::table)
            .values(&row)
            .on_conflict(lifecycle_stages::id)
            .do_update()
            .set(&row)
            .execute(conn)
            .await?;
    }
    settings::put(conn, settings::HOLDOUT, &serde_json::json!({ "share": lifecycle.holdout })).await?;
    settings::put(conn, settings::PROGRAMME_WINDOWS, &serde_json::json!(lifecycle.windows_days)).await?;
    settings::put(conn, settings::STAGE_RULES, &serde_json::json!(lifecycle.rules)).await
}
