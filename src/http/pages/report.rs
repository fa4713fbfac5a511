//! `GET /experiments/{key}/report`: the printable HTML report with server-rendered charts.

use crate::errors::ApiError;
use crate::http::auth::AdminKey;
use crate::http::experiments::results::report_of;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

#[get("/experiments/{key}/report")]
#[tracing::instrument(skip_all, fields(experiment.key = %path))]
pub(super) async fn report(
    state: web::Data<AppState>,
    path: web::Path<String>,
    _key: AdminKey,
) -> Result<HttpResponse, ApiError> {
    let report = report_of(&state, &path).await?;
    let html = crate::report::html::render(&report).map_err(|e| ApiError::internal(format!("report page: {e}")))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}
