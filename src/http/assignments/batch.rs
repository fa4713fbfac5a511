//! `POST /api/v1/assignments/batch`: up to 1,000 customers at once (e-mail and push pipelines).

use crate::assign::{AssignRequest, MAX_BATCH};
use crate::errors::ApiError;
use crate::http::auth::ApiKey;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

/// The batch body: `{"customers": [assignment request, …]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Batch {
    customers: Vec<AssignRequest>,
}

#[post("/api/v1/assignments/batch")]
#[tracing::instrument(skip_all, fields(batch.size = body.customers.len()))]
pub(super) async fn batch(
    state: web::Data<AppState>,
    key: ApiKey,
    body: web::Json<Batch>,
) -> Result<HttpResponse, ApiError> {
    let customers = body.into_inner().customers;
    if customers.is_empty() {
        return Err(ApiError::unprocessable("`customers` must list at least one customer.", vec![]));
    }
    if customers.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("At most {MAX_BATCH} customers per batch; got {}.", customers.len()),
        ));
    }
    super::check_back_dating(&key, &customers)?;
    let results = state.assigner.assign(customers).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}
