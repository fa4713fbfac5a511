//! Loading what a report needs and building it.

use super::{build, Input, Report, PRE_PERIOD_DAYS};
use crate::db::models::experiments::{self, StoredExperiment};
use crate::db::models::outcomes::{self, Refresh};
use crate::db::models::results::{self, ResultsQuery};
use crate::db::models::stages;
use crate::domain::lifecycle::Lifecycle;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// A report and what bringing its outcome rows up to date took.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The report.
    pub report: Report,
    /// What the outcome refresh did.
    pub refresh: Refresh,
    /// How long it took.
    pub refresh_time: Duration,
}
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

/// The report of experiment `key` as of `now`; `None` when there is no such experiment. Its
/// outcome rows are brought up to date first.
pub async fn compute(conn: &mut AsyncPgConnection, key: &str, now: DateTime<Utc>) -> QueryResult<Option<Computed>> {
    let Some(experiment) = experiments::find(conn, key).await? else { return Ok(None) };
    let lifecycle = stages::load(conn).await?;
    let stage_ids: Vec<String> = lifecycle.stages.iter().map(|s| s.id.clone()).collect();
    let query = query(&experiment, &lifecycle, &stage_ids, now);
    let started = Instant::now();
    let refresh = outcomes::refresh(conn, &query).await?;
    let refresh_time = started.elapsed();
    let aggregates = results::aggregate(conn, &query).await?;
    let report = build(&Input { experiment: &experiment, lifecycle: &lifecycle, aggregates: &aggregates, now });
    Ok(Some(Computed { report, refresh, refresh_time }))
}

/// Brings the outcome rows of experiment `key` up to date (what [`compute`] does first), so that
/// the next report has little left to do; `None` when there is no such experiment, or when
/// another refresh of it is under way.
pub async fn refresh(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<Option<Refresh>> {
    let Some(experiment) = experiments::find(conn, key).await? else { return Ok(None) };
    let lifecycle = stages::load(conn).await?;
    let stage_ids: Vec<String> = lifecycle.stages.iter().map(|s| s.id.clone()).collect();
    outcomes::refresh_unless_busy(conn, &query(&experiment, &lifecycle, &stage_ids, Utc::now())).await
}

fn query<'a>(
    experiment: &'a StoredExperiment,
    lifecycle: &Lifecycle,
    stage_ids: &'a [String],
    now: DateTime<Utc>,
) -> ResultsQuery<'a> {
    let def = &experiment.def;
    let position = |id: &Option<String>| id.as_deref().and_then(|id| lifecycle.position(id)).map(|p| p as i32 + 1);
    ResultsQuery {
        experiment_id: experiment.id,
        variant_ids: &experiment.variant_ids,
        window_days: def.window_days,
        now,
        stopped: def.status.has_ended(),
        stages: stage_ids,
        goal_position: lifecycle.position(&def.goal).map_or(i32::MAX, |p| p as i32 + 1),
        first_purchase: position(&lifecycle.rules.first_purchase),
        repeat_purchase: position(&lifecycle.rules.repeat_purchase),
        referral: position(&lifecycle.rules.referral),
        winsorize: def.stats.winsorize,
        custom: def.metrics.custom.iter().map(|m| (m.event.clone(), m.stage.clone())).collect(),
        pre_days: PRE_PERIOD_DAYS,
    }
}

/// The programme analysis (CONTRACT §9) as of `now`, at α = 5%.
pub async fn programme(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<super::programme::Programme> {
    let lifecycle = stages::load(conn).await?;
    let windows: Vec<i32> = lifecycle.windows_days.days().iter().map(|&d| d as i32).collect();
    let sums = crate::db::models::programme::sums(conn, &lifecycle, &windows, now).await?;
    Ok(super::programme::build(&lifecycle, &sums, crate::stats::Alpha::default()))
}
