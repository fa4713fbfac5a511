//! `GET` and `POST /experiments/{key}/status/{to}`: start, pause, resume or stop an experiment,
//! after a confirmation page (editor role, CSRF-protected, logged in the audit trail).

use super::error::UiError;
use super::session::Session;
use super::{page, with_headers};
use crate::changes;
use crate::db::models::experiments::{self, StoredExperiment};
use crate::domain::experiment::Status;
use crate::domain::password::UserRole;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};

/// Whether `from → to` is a status change a person may make.
pub fn allowed(from: Status, to: Status) -> bool {
    matches!(
        (from, to),
        (Status::Draft, Status::Running)
            | (Status::Running, Status::Paused)
            | (Status::Paused, Status::Running)
            | (Status::Draft | Status::Running | Status::Paused, Status::Stopped)
    )
}

/// The button's verb for a change.
pub fn verb(from: Status, to: Status) -> &'static str {
    match (from, to) {
        (Status::Paused, Status::Running) => "Resume",
        (_, Status::Running) => "Start",
        (_, Status::Paused) => "Pause",
        _ => "Stop",
    }
}

fn consequence(to: Status) -> &'static str {
    match to {
        Status::Running => "Eligible customers will start getting variants and exposures will be recorded.",
        Status::Paused => "No new customers will enter; customers already in keep their variant.",
        Status::Stopped => "The experiment ends for good: nobody gets a variant any more and every customer counts in the results. This cannot be undone.",
        Status::Draft | Status::Shipped => "",
    }
}

/// The `{to}` of the routes: the status asked for.
#[derive(serde::Deserialize)]
pub(super) struct Target {
    to: String,
}

impl Target {
    fn status(&self) -> Result<Status, UiError> {
        self.to.parse().map_err(|e: crate::domain::named::UnknownName| UiError::NotFound(e.to_string()))
    }
}

async fn load(state: &AppState, key: &str, to: Status) -> Result<(StoredExperiment, Status), UiError> {
    let mut conn = state.pool.get().await?;
    let e = experiments::find(&mut conn, key)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no experiment with key {key:?}.")))?;
    if !allowed(e.def.status, to) {
        return Err(UiError::Forbidden(format!("A {} experiment cannot become {to}.", e.def.status)));
    }
    Ok((e, to))
}

#[get("/experiments/{key}/status/{to}")]
pub(super) async fn confirm(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
    target: web::Path<Target>,
) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Editor)?;
    let (e, to) = load(&state, &key, target.status()?).await?;
    let html = crate::templates::render(
        "confirm.html",
        minijinja::context! {
            title => format!("{} {}", verb(e.def.status, to), e.def.name), nav => "experiments", user => &session,
            csrf_token => &session.csrf_token, key => &e.def.key, name => &e.def.name, to => to.as_str(),
            verb => verb(e.def.status, to), consequence => consequence(to),
        },
    )?;
    Ok(page(html))
}

#[derive(serde::Deserialize)]
pub(super) struct StatusForm {
    csrf_token: String,
}

#[post("/experiments/{key}/status/{to}")]
pub(super) async fn change(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
    target: web::Path<Target>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Editor)?;
    let to = target.status()?;
    let actor = format!("user:{}", session.email);
    let mut conn = state.pool.get().await?;
    let from = changes::set_status(&mut conn, &key, to, allowed, &actor).await?;
    tracing::info!(experiment = %key, %from, %to, %actor, "status changed");
    Ok(with_headers(HttpResponse::SeeOther()).insert_header((header::LOCATION, format!("/experiments/{key}"))).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert!(allowed(Status::Draft, Status::Running));
        assert!(allowed(Status::Paused, Status::Running));
        assert!(allowed(Status::Running, Status::Stopped));
        assert!(!allowed(Status::Stopped, Status::Running));
        assert!(!allowed(Status::Running, Status::Draft));
        assert!(!allowed(Status::Running, Status::Running));
        assert_eq!(verb(Status::Paused, Status::Running), "Resume");
        assert_eq!(verb(Status::Draft, Status::Running), "Start");
    }
}
