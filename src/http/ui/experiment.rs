//! `GET /experiments/{key}`: an experiment's definition and its live results' headline and charts.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::db::models::{experiments, watch_state};
use crate::domain::experiment::Status;
use crate::domain::password::UserRole;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use minijinja::Value;

#[get("/experiments/{key}")]
pub(super) async fn detail(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let not_found = || UiError::NotFound(format!("There is no experiment with key {key:?}."));
    let experiment = experiments::find(&mut conn, &key).await?.ok_or_else(not_found)?;
    let report = state.report(&key).await?.ok_or_else(not_found)?;
    let keys: Vec<String> = report.exposures.variants.iter().map(|v| v.variant.clone()).collect();
    let charts = minijinja::context! {
        forest => Value::from_safe_string(crate::report::svg::forest(&report.metrics)),
        cumulative => Value::from_safe_string(crate::report::svg::cumulative_conversion(&report.progress.daily, &keys)),
    };
    let from = experiment.def.status;
    let actions: Vec<_> = [Status::Running, Status::Paused, Status::Stopped]
        .into_iter()
        .filter(|to| super::status::allowed(from, *to))
        .map(|to| minijinja::context! { to => to.as_str(), verb => super::status::verb(from, to) })
        .collect();
    let can_edit = session.require(UserRole::Editor).is_ok();
    let can_ship = can_edit && super::ship::can_ship(from);
    let can_unship = can_edit && from == Status::Shipped;
    let watched = watch_state::get(&mut conn, experiment.id).await?;
    let guardrail = watched.and_then(|w| w.guardrail);
    let html = crate::templates::render(
        "experiment.html",
        minijinja::context! {
            title => &experiment.def.name, nav => "experiments", user => &session, csrf_token => &session.csrf_token,
            experiment => Value::from_serialize(&experiment), r => Value::from_serialize(&report), charts,
            actions => if can_edit { actions } else { Vec::new() }, can_edit, can_ship, can_unship, guardrail,
        },
    )?;
    Ok(page(html))
}
