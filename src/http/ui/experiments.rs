//! `GET /experiments`: every experiment, filtered by stage and status.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::db::models::{experiments, stages};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

#[derive(serde::Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    status: String,
}

#[get("/experiments")]
pub(super) async fn list(
    state: web::Data<AppState>,
    session: Session,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    let all = experiments::load_all(&mut conn).await?;
    let shown: Vec<_> = all
        .iter()
        .filter(|e| filter.stage.is_empty() || e.def.stage == filter.stage)
        .filter(|e| filter.status.is_empty() || e.def.status.as_str() == filter.status)
        .collect();
    let html = crate::templates::render(
        "experiments.html",
        minijinja::context! {
            title => "Experiments", nav => "experiments", user => &session, csrf_token => &session.csrf_token,
            experiments => shown, stages => lifecycle.stages, filter_stage => &filter.stage, filter_status => &filter.status,
        },
    )?;
    Ok(page(html))
}
