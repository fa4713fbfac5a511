//! `programme_members` and the programme analysis's sums (`programme.sql`, CONTRACT §9).

use crate::domain::lifecycle::Lifecycle;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Integer, Json, Nullable, Text, Timestamptz};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;

/// Members of one stage and group whose window `days` has elapsed, by the furthest stage they
/// proved within it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GroupSums {
    /// The stage the members were recorded at.
    pub stage: String,
    /// The window.
    pub days: i32,
    /// Held out (the programme's control) or not.
    pub held_out: bool,
    /// 1-based position of the furthest stage proven in the window (`None`: none).
    pub furthest: Option<i32>,
    /// Members.
    pub n: u64,
    /// Σ revenue in the window.
    pub revenue_sum: f64,
    /// Σ revenue².
    pub revenue_squares: f64,
    /// Σ orders.
    pub orders_sum: f64,
    /// Σ orders².
    pub orders_squares: f64,
    /// Members who made a referral in the window.
    pub referrals: u64,
}

/// How many members a stage has in a group (mature or not).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GroupSize {
    /// The stage.
    pub stage: String,
    /// Held out or not.
    pub held_out: bool,
    /// The holdout share in force when they were recorded.
    pub holdout_share: f64,
    /// Members.
    pub n: u64,
}

/// Members of a stage and group who reached the next stage after `days` (or were censored then).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CurveCount {
    /// The stage.
    pub stage: String,
    /// Held out or not.
    pub held_out: bool,
    /// Whole days from first seen.
    pub days: i32,
    /// Reached (else censored).
    pub reached: bool,
    /// Members.
    pub n: u64,
}

/// Everything the programme analysis needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgrammeSums {
    /// Sums per stage, window, group and furthest stage.
    pub groups: Vec<GroupSums>,
    /// Members per stage and group.
    pub sizes: Vec<GroupSize>,
    /// Time to the next stage.
    pub curve: Vec<CurveCount>,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Json)]
    groups: serde_json::Value,
    #[diesel(sql_type = Json)]
    sizes: serde_json::Value,
    #[diesel(sql_type = Json)]
    curve: serde_json::Value,
}

/// The programme's sums at `now`, in one read-only statement.
pub async fn sums(
    conn: &mut AsyncPgConnection,
    lifecycle: &Lifecycle,
    windows_days: &[i32],
    now: DateTime<Utc>,
) -> QueryResult<ProgrammeSums> {
    let stages: Vec<&str> = lifecycle.stages.iter().map(|s| s.id.as_str()).collect();
    let position = |id: &Option<String>| id.as_deref().and_then(|id| lifecycle.position(id)).map(|p| p as i32 + 1);
    let rules = &lifecycle.rules;
    let windows = windows_days.to_vec();
    let row: Row = conn
        .build_transaction()
        .read_only()
        .run(async |conn| {
            diesel::sql_query("SET LOCAL work_mem = '256MB'").execute(conn).await?;
            diesel::sql_query("SET LOCAL jit = off").execute(conn).await?;
            diesel::sql_query(include_str!("programme.sql"))
                .bind::<Array<Text>, _>(&stages)
                .bind::<Nullable<Integer>, _>(position(&rules.first_purchase))
                .bind::<Nullable<Integer>, _>(position(&rules.repeat_purchase))
                .bind::<Nullable<Integer>, _>(position(&rules.referral))
                .bind::<Array<Integer>, _>(&windows)
                .bind::<Timestamptz, _>(now)
                .get_result(conn)
                .await
        })
        .await?;
    Ok(ProgrammeSums {
        groups: super::results::parse("programme sums", row.groups)?,
        sizes: super::results::parse("programme sizes", row.sizes)?,
        curve: super::results::parse("programme curve", row.curve)?,
    })
}
