//! `GET /experiments/{key}/report`: the printable HTML report with server-rendered charts, for a
//! signed-in user (or an admin API key, for scripts).

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::http::auth::AdminKey;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};

/// The signed-in user, or `None` for a request with a valid admin API key.
async fn viewer(req: &HttpRequest) -> Result<Option<Session>, UiError> {
    Ok(match Session::extract(req).await {
        Ok(s) => Some(s),
        Err(UiError::Login(next)) => {
            // Scripts may fetch the page with an admin key instead of a login.
            if req.headers().contains_key(actix_web::http::header::AUTHORIZATION) {
                AdminKey::extract(req).await.map_err(|e| UiError::Forbidden(e.message))?;
                None
            } else {
                return Err(UiError::Login(next));
            }
        }
        Err(e) => return Err(e),
    })
}

#[get("/experiments/{key}/results.csv")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    viewer(&req).await?;
    let found = state
        .report(&key)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no experiment with key {key:?}.")))?;
    Ok(super::with_headers(HttpResponse::Ok())
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-results.csv\"", found.experiment),
        ))
        .body(crate::report::csv::render(&found)))
}

#[get("/experiments/{key}/report")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn page_of(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    let session = viewer(&req).await?;
    let report = state
        .report(&key)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no experiment with key {key:?}.")))?;
    let mut context = crate::report::html::context(&report);
    if let Some(s) = &session {
        context = minijinja::context! { user => s, csrf_token => &s.csrf_token, nav => "experiments", ..context };
    }
    Ok(page(crate::templates::render("report.html", context)?))
}
