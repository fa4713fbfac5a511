//! Per-customer outcome rows of an experiment (`outcomes`), kept current incrementally.
//!
//! A report aggregates these rows instead of joining every exposure with every event, so its cost
//! no longer grows with the number of events. [`refresh`] recomputes the rows of the customers
//! whose exposures or events were written since the previous refresh (`outcomes.sql`); the first
//! refresh, or one after the analysis definition changed, recomputes them all. Which rows are new
//! is found by the id of the transaction that wrote them (see the `outcomes` migration), which is
//! safe whatever order concurrent writers commit in.

use super::results::ResultsQuery;
use crate::db::schema::{outcome_state, outcomes};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text};
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Bump when `outcomes.sql` computes a column differently: stored rows are then rebuilt.
const FORMAT: u32 = 1;

/// First key of the per-experiment advisory lock that serialises refreshes (the second is the
/// experiment id).
const LOCK_CLASS: i32 = 0x4f75_7463; // "Outc"

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    /// Every customer was recomputed (first refresh, or the definition changed).
    pub full: bool,
    /// Outcome rows written.
    pub customers: u64,
}

/// Brings experiment `q.experiment_id`'s outcome rows up to date with every committed exposure
/// and event. Concurrent refreshes of one experiment wait for each other.
pub async fn refresh(conn: &mut AsyncPgConnection, q: &ResultsQuery<'_>) -> QueryResult<Refresh> {
    let definition = definition(q);
    let types: Vec<&str> = q.custom.iter().map(|(t, _)| t.as_str()).collect();
    let stages: Vec<Option<&str>> = q.custom.iter().map(|(_, s)| s.as_deref()).collect();
    conn.transaction(async |conn| {
        diesel::sql_query("SET LOCAL work_mem = '256MB'").execute(conn).await?;
        diesel::sql_query("SET LOCAL jit = off").execute(conn).await?;
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<Integer, _>(LOCK_CLASS)
            .bind::<Integer, _>(q.experiment_id as i32)
            .execute(conn)
            .await?;
        let state: Option<(String, i64)> = outcome_state::table
            .find(q.experiment_id)
            .select((outcome_state::definition, outcome_state::since))
            .first(conn)
            .await
            .optional()?;
        // Taken before the rows are read: every transaction older than the oldest one still
        // running has finished, so its rows are visible to the statement below.
        let next_since: i64 = diesel::select(sql::<BigInt>("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
            .get_result(conn)
            .await?;
        let (full, since) = match state {
            Some((stored, since)) if stored == definition => (false, since),
            _ => {
                diesel::delete(outcomes::table.filter(outcomes::experiment_id.eq(q.experiment_id)))
                    .execute(conn)
                    .await?;
                (true, 0)
            }
        };
        let customers = diesel::sql_query(include_str!("outcomes.sql"))
            .bind::<BigInt, _>(q.experiment_id)
            .bind::<Integer, _>(q.window_days)
            .bind::<Array<Text>, _>(q.stages)
            .bind::<Integer, _>(q.goal_position)
            .bind::<Nullable<Integer>, _>(q.first_purchase)
            .bind::<Nullable<Integer>, _>(q.repeat_purchase)
            .bind::<Nullable<Integer>, _>(q.referral)
            .bind::<Array<Text>, _>(&types)
            .bind::<Array<Nullable<Text>>, _>(&stages)
            .bind::<Integer, _>(q.pre_days)
            .bind::<Bool, _>(full)
            .bind::<BigInt, _>(since)
            .execute(conn)
            .await?;
        diesel::insert_into(outcome_state::table)
            .values((
                outcome_state::experiment_id.eq(q.experiment_id),
                outcome_state::definition.eq(&definition),
                outcome_state::since.eq(next_since),
                outcome_state::refreshed_at.eq(diesel::dsl::now),
            ))
            .on_conflict(outcome_state::experiment_id)
            .do_update()
            .set((
                outcome_state::definition.eq(excluded(outcome_state::definition)),
                outcome_state::since.eq(excluded(outcome_state::since)),
                outcome_state::refreshed_at.eq(excluded(outcome_state::refreshed_at)),
            ))
            .execute(conn)
            .await?;
        Ok(Refresh { full, customers: customers as u64 })
    })
    .await
}

/// Everything the stored rows depend on besides the data: when it differs, they are rebuilt.
fn definition(q: &ResultsQuery<'_>) -> String {
    serde_json::json!({
        "format": FORMAT,
        "variants": q.variant_ids,
        "window_days": q.window_days,
        "stages": q.stages,
        "goal": q.goal_position,
        "rules": [q.first_purchase, q.repeat_purchase, q.referral],
        "custom": q.custom,
        "pre_days": q.pre_days,
    })
    .to_string()
}
