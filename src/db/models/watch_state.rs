//! `watch_state`: what the background watch last saw of each experiment (its recommendation,
//! whether the sample ratio mismatched, the guardrail alarm), so that it notifies each change once.

use crate::db::schema::watch_state;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// What was seen.
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, diesel::Insertable)]
#[diesel(table_name = watch_state)]
pub struct Seen {
    /// The experiment.
    pub experiment_id: i64,
    /// The decision's recommendation (`ship`, `keep_running`, …).
    pub recommendation: Option<String>,
    /// A sample ratio mismatch.
    pub srm: bool,
    /// The guardrail alarm in words, with the action taken; `None` while no guardrail is worse.
    pub guardrail: Option<String>,
}

/// What was last seen of experiment `id` (`None`: never looked at).
pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Seen>> {
    watch_state::table.find(id).select(Seen::as_select()).first(conn).await.optional()
}

/// Records what was seen now.
pub async fn put(conn: &mut AsyncPgConnection, seen: &Seen) -> QueryResult<()> {
    diesel::insert_into(watch_state::table)
        .values(seen)
        .on_conflict(watch_state::experiment_id)
        .do_update()
        .set((
            watch_state::recommendation.eq(&seen.recommendation),
            watch_state::srm.eq(seen.srm),
            watch_state::guardrail.eq(&seen.guardrail),
            watch_state::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}
