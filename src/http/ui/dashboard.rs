//! `GET /`: the lifecycle dashboard: customers per stage now, and the running experiments at each
//! stage with their primary metric's current verdict.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::analysis::format::ratio;
use crate::analysis::report::{Funnel, FunnelStep, FunnelVariant, Outcome};
use crate::analysis::Recommendation;
use crate::db::models::{customers, experiments, stages};
use crate::domain::experiment::Status;
use crate::domain::lifecycle::Lifecycle;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

#[derive(Serialize)]
struct StageView {
    id: String,
    name: String,
    customers: i64,
    share: Option<f64>,
    experiments: Vec<ExperimentView>,
}

#[derive(Serialize)]
struct ExperimentView {
    key: String,
    name: String,
    status: Status,
    goal: String,
    exposed: u64,
    recommendation: Option<Recommendation>,
    recommended_variant: Option<String>,
    headline: Option<String>,
    outcome: Option<Outcome>,
}

/// The cohort the transition chart follows: customers first seen in these last days.
const COHORT_DAYS: i64 = 30;

/// Of the customers first seen recently, how many reached each stage after the first (or a later
/// one), and the step-to-step transition rates.
fn cohort_funnel(lifecycle: &Lifecycle, counts: &[(Option<String>, i64)]) -> Funnel {
    let n: u64 = counts.iter().map(|(_, c)| *c as u64).sum();
    let at_or_beyond = |position: usize| -> u64 {
        counts
            .iter()
            .filter(|(s, _)| s.as_deref().and_then(|s| lifecycle.position(s)).is_some_and(|p| p >= position))
            .map(|(_, c)| *c as u64)
            .sum()
    };
    let mut previous = n;
    let steps = (1..lifecycle.stages.len())
        .map(|position| {
            let customers = at_or_beyond(position);
            let step = FunnelStep {
                stage: lifecycle.stages[position].id.clone(),
                customers,
                share: ratio(customers, n),
                step_rate: ratio(customers, previous),
            };
            previous = customers;
            step
        })
        .collect();
    Funnel {
        stages: lifecycle.stages.iter().skip(1).map(|s| s.id.clone()).collect(),
        variants: vec![FunnelVariant { variant: format!("first seen in the last {COHORT_DAYS} days"), n, steps }],
    }
}

#[get("/")]
pub(super) async fn dashboard(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    let counts = customers::stage_counts(&mut conn).await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let all = experiments::load_all(&mut conn).await?;
    let now = chrono::Utc::now();
    let mut views = Vec::new();
    for stage in &lifecycle.stages {
        let n = counts.iter().find(|(s, _)| s.as_deref() == Some(&stage.id)).map_or(0, |(_, n)| *n);
        let mut list = Vec::new();
        for e in
            all.iter().filter(|e| e.def.stage == stage.id && matches!(e.def.status, Status::Running | Status::Paused))
        {
            let report = state.report(&e.def.key).await?;
            let verdict = report.as_ref().and_then(|r| r.verdicts.first().cloned());
            list.push(ExperimentView {
                key: e.def.key.clone(),
                name: e.def.name.clone(),
                status: e.def.status,
                goal: e.def.goal.clone(),
                exposed: report.as_ref().map_or(0, |r| r.exposures.total),
                recommendation: report.as_ref().map(|r| r.decision.recommendation),
                recommended_variant: report.as_ref().and_then(|r| r.decision.variant.clone()),
                headline: verdict.as_ref().map(|v| v.text.clone()),
                outcome: verdict.map(|v| v.outcome),
            });
        }
        views.push(StageView {
            id: stage.id.clone(),
            name: stage.name.clone(),
            customers: n,
            share: (total > 0).then(|| n as f64 / total as f64),
            experiments: list,
        });
    }
    let recent = customers::stage_counts_since(&mut conn, now - chrono::Duration::days(COHORT_DAYS)).await?;
    let funnel = cohort_funnel(&lifecycle, &recent);
    let chart = minijinja::Value::from_safe_string(crate::report::svg::funnel(&funnel));
    let html = crate::templates::render(
        "dashboard.html",
        minijinja::context! {
            title => "Dashboard", nav => "dashboard", user => &session, csrf_token => &session.csrf_token, stages => views,
            funnel => minijinja::Value::from_serialize(&funnel), chart, cohort_days => COHORT_DAYS,
        },
    )?;
    Ok(page(html))
}
