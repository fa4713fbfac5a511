//! `GET` and `POST /experiments/{key}/ship` and `…/unship`: ship a variant to every eligible
//! customer, or end the rollout, after a confirmation page (editor role, CSRF-protected, audited).
//! The variant asked for first is the recommended one when the decision says ship.

use super::error::UiError;
use super::session::Session;
use super::{page, with_headers};
use crate::analysis::Recommendation;
use crate::changes;
use crate::db::models::experiments::{self, StoredExperiment};
use crate::domain::experiment::Status;
use crate::domain::password::UserRole;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};

/// Whether an experiment in `status` can ship a variant (it has run and ships nothing yet).
pub fn can_ship(status: Status) -> bool {
    matches!(status, Status::Running | Status::Paused | Status::Stopped)
}

async fn load(state: &AppState, key: &str) -> Result<StoredExperiment, UiError> {
    let mut conn = state.pool.get().await?;
    experiments::find(&mut conn, key)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no experiment with key {key:?}.")))
}

#[get("/experiments/{key}/ship")]
pub(super) async fn confirm(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Editor)?;
    let e = load(&state, &key).await?;
    if !can_ship(e.def.status) {
        return Err(UiError::Forbidden(format!("A {} experiment cannot ship a variant.", e.def.status)));
    }
    let report = state.report(&key).await?;
    let recommended = report
        .as_ref()
        .filter(|r| r.decision.recommendation == Recommendation::Ship)
        .and_then(|r| r.decision.variant.clone());
    let chosen = recommended.clone().or_else(|| e.def.variants.get(1).map(|v| v.key.clone()));
    let html = crate::templates::render(
        "ship.html",
        minijinja::context! {
            title => format!("Ship {}", e.def.name), nav => "experiments", user => &session,
            csrf_token => &session.csrf_token, key => &e.def.key, name => &e.def.name, status => e.def.status.as_str(),
            variants => e.def.variants.iter().map(|v| minijinja::context! { key => &v.key, payload => v.payload.to_string() }).collect::<Vec<_>>(),
            chosen, recommended, unship => false,
        },
    )?;
    Ok(page(html))
}

#[derive(serde::Deserialize)]
pub(super) struct ShipForm {
    csrf_token: String,
    variant: String,
}

#[post("/experiments/{key}/ship")]
pub(super) async fn ship(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
    form: web::Form<ShipForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Editor)?;
    let actor = format!("user:{}", session.email);
    let mut conn = state.pool.get().await?;
    let from = changes::ship(&mut conn, &key, &form.variant, &actor).await?;
    drop(conn);
    state.reload_definitions().await;
    tracing::info!(experiment = %key, %from, variant = %form.variant, %actor, "variant shipped");
    Ok(back(&key))
}

#[get("/experiments/{key}/unship")]
pub(super) async fn confirm_unship(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Editor)?;
    let e = load(&state, &key).await?;
    if e.def.status != Status::Shipped {
        return Err(UiError::Forbidden(format!("A {} experiment has no rollout to end.", e.def.status)));
    }
    let html = crate::templates::render(
        "ship.html",
        minijinja::context! {
            title => format!("End the rollout of {}", e.def.name), nav => "experiments", user => &session,
            csrf_token => &session.csrf_token, key => &e.def.key, name => &e.def.name, shipped => &e.def.ship,
            unship => true,
        },
    )?;
    Ok(page(html))
}

#[derive(serde::Deserialize)]
pub(super) struct UnshipForm {
    csrf_token: String,
}

#[post("/experiments/{key}/unship")]
pub(super) async fn unship(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
    form: web::Form<UnshipForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Editor)?;
    let actor = format!("user:{}", session.email);
    let mut conn = state.pool.get().await?;
    changes::unship(&mut conn, &key, &actor).await?;
    drop(conn);
    state.reload_definitions().await;
    tracing::info!(experiment = %key, %actor, "rollout ended");
    Ok(back(&key))
}

fn back(key: &str) -> HttpResponse {
    let location = format!("/experiments/{}", super::encode_component(key));
    with_headers(HttpResponse::SeeOther()).insert_header((header::LOCATION, location)).finish()
}
