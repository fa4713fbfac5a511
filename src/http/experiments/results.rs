//! `GET /api/v1/experiments/{key}/results` (JSON, CONTRACT §5) and `…/results.csv`.

use crate::analysis::Report;
use crate::errors::{ApiError, Code};
use crate::http::auth::AdminKey;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// Computes the report of `key` now, or 404.
pub(crate) async fn report_of(state: &AppState, key: &str) -> Result<Report, ApiError> {
    let report = state.report(key).await?;
    report.ok_or_else(|| ApiError::new(Code::NotFound, format!("No experiment with key {key:?}.")))
}

/// The analysis of one experiment, computed now (CONTRACT §5).
#[utoipa::path(
    get,
    path = "/api/v1/experiments/{key}/results",
    operation_id = "get_results",
    tag = "experiments",
    params(("key" = String, Path, description = "The experiment's key.", example = "welcome-offer")),
    responses(
        (status = 200, description = "The report.", body = Report),
        (status = 404, description = "No experiment with this key (none has control characters or over 200 bytes).", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[get("/api/v1/experiments/{key}/results")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn json(
    state: web::Data<AppState>,
    _admin: AdminKey,
    key: ExperimentKey,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(report_of(&state, &key).await?))
}

/// The analysis of one experiment as CSV: the same numbers as the JSON, one row per metric and variant.
#[utoipa::path(
    get,
    path = "/api/v1/experiments/{key}/results.csv",
    operation_id = "get_results_csv",
    tag = "experiments",
    params(("key" = String, Path, description = "The experiment's key.", example = "welcome-offer")),
    responses(
        (status = 200, description = "The report as CSV.", body = String, content_type = "text/csv"),
        (status = 404, description = "No experiment with this key (none has control characters or over 200 bytes).", body = crate::errors::Envelope),
    ),
    security(("admin_key" = []))
)]
#[get("/api/v1/experiments/{key}/results.csv")]
#[tracing::instrument(skip_all, fields(experiment.key = %key))]
pub(super) async fn csv(
    state: web::Data<AppState>,
    _admin: AdminKey,
    key: ExperimentKey,
) -> Result<HttpResponse, ApiError> {
    let report = report_of(&state, &key).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-results.csv\"", report.experiment),
        ))
        .body(crate::report::csv::render(&report)))
}
