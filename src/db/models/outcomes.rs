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
const FORMAT: u32 = 2;

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
    let refresh = update(conn, q, Lock::Wait).await?.expect("waits for the lock");
    vacuum_if_large(conn, refresh).await;
    Ok(refresh)
}

/// Like [`refresh`], but returns `None` at once when another refresh of the experiment is under
/// way (for background work, which should not queue behind a report's rebuild).
pub async fn refresh_unless_busy(conn: &mut AsyncPgConnection, q: &ResultsQuery<'_>) -> QueryResult<Option<Refresh>> {
    let refresh = update(conn, q, Lock::Try).await?;
    if let Some(refresh) = refresh {
        vacuum_if_large(conn, refresh).await;
    }
    Ok(refresh)
}

/// How a refresh takes the experiment's lock.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lock {
    Wait,
    Try,
}

async fn vacuum_if_large(conn: &mut AsyncPgConnection, refresh: Refresh) {
    if refresh.customers >= VACUUM_AFTER {
        // Many new rows: give the planner their statistics, and mark their pages all-visible,
        // now rather than whenever autovacuum gets to it (until then every report pays for
        // checking each row's visibility, and for autovacuum's own pass).
        // The rows are committed: a failure here costs speed, not correctness.
        if let Err(e) = diesel::sql_query("VACUUM (ANALYZE) outcomes").execute(conn).await {
            tracing::warn!(error = %e, "VACUUM of the outcome rows failed");
        }
    }
}

/// A refresh that writes at least this many rows is followed by a `VACUUM (ANALYZE)`.
const VACUUM_AFTER: u64 = 100_000;

async fn update(conn: &mut AsyncPgConnection, q: &ResultsQuery<'_>, lock: Lock) -> QueryResult<Option<Refresh>> {
    let definition = definition(q);
    let types: Vec<&str> = q.custom.iter().map(|(t, _)| t.as_str()).collect();
    let stages: Vec<Option<&str>> = q.custom.iter().map(|(_, s)| s.as_deref()).collect();
    conn.transaction(async |conn| {
        diesel::sql_query("SET LOCAL work_mem = '256MB'").execute(conn).await?;
        diesel::sql_query("SET LOCAL jit = off").execute(conn).await?;
        // The changed customers' rows are found through the primary key, one probe each; at the
        // default cost of a random read the planner scans whole tables instead, which is slower
        // whenever the rows are cached (as the hot tables of a busy service are).
        diesel::sql_query("SET LOCAL random_page_cost = 1.1").execute(conn).await?;
        if lock == Lock::Wait {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind::<Integer, _>(LOCK_CLASS)
                .bind::<Integer, _>(q.experiment_id as i32)
                .execute(conn)
                .await?;
        } else {
            let locked: bool = diesel::select(
                sql::<Bool>("pg_try_advisory_xact_lock(")
                    .bind::<Integer, _>(LOCK_CLASS)
                    .sql(", ")
                    .bind::<Integer, _>(q.experiment_id as i32)
                    .sql(")"),
            )
            .get_result(conn)
            .await?;
            if !locked {
                return Ok(None);
            }
        }
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
        let (full, customers) = match state {
            Some((stored, since)) if stored == definition => {
                (false, changed_since(conn, q.experiment_id, since).await?)
            }
            _ => {
                diesel::delete(outcomes::table.filter(outcomes::experiment_id.eq(q.experiment_id)))
                    .execute(conn)
                    .await?;
                (true, Vec::new())
            }
        };
        let written = if full || !customers.is_empty() {
            diesel::sql_query(include_str!("outcomes.sql"))
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
                .bind::<Array<Text>, _>(&customers)
                .execute(conn)
                .await?
        } else {
            0
        };
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
        Ok(Some(Refresh { full, customers: written as u64 }))
    })
    .await
}

/// The experiment's exposed customers whose exposure or events were written by transactions with
/// id `since` or later. Passed to the refresh as a list, so that the planner knows how few they
/// usually are and reads their events through the customer index.
async fn changed_since(conn: &mut AsyncPgConnection, experiment_id: i64, since: i64) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Changed {
        #[diesel(sql_type = Text)]
        customer_id: String,
    }
    let rows: Vec<Changed> = diesel::sql_query(
        "SELECT DISTINCT x.customer_id
         FROM (SELECT customer_id FROM exposures WHERE experiment_id = $1 AND txid >= $2
               UNION
               SELECT customer_id FROM events WHERE txid >= $2) d
         JOIN exposures x ON x.customer_id = d.customer_id AND x.experiment_id = $1
         WHERE NOT x.is_override",
    )
    .bind::<BigInt, _>(experiment_id)
    .bind::<BigInt, _>(since)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.customer_id).collect())
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
