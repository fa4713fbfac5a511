//! `POST /api/v1/assignments/batch`: up to 1,000 customers at once (e-mail and push pipelines).

use crate::assign::{AssignRequest, AssignResponse, MAX_BATCH};
use crate::errors::{ApiError, Code};
use crate::http::auth::ApiKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The batch body: `{"customers": [assignment request, …]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AssignBatch, example = json!({"customers": [
    {"customer_id": "c-1", "stage": "acquisition", "attributes": {"country": "JP"}},
    {"customer_id": "c-2", "stage": "retention", "experiments": ["second-purchase-coupon"]}]}))]
pub(super) struct Batch {
    /// 1 to 1,000 customers.
    customers: Vec<AssignRequest>,
}

/// The answer: one result per customer, in request order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AssignBatchResults)]
pub(super) struct Results {
    /// One answer per customer, in request order.
    results: Vec<AssignResponse>,
}

/// Assigns up to 1,000 customers at once (e-mail and push pipelines); all are validated first.
#[utoipa::path(
    post,
    path = "/api/v1/assignments/batch",
    operation_id = "assign_batch",
    tag = "storefront",
    request_body = Batch,
    responses((status = 200, description = "Every customer's assignments, in request order.", body = Results)),
    security(("storefront_key" = []), ("admin_key" = []))
)]
#[post("/api/v1/assignments/batch")]
#[tracing::instrument(skip_all, fields(batch.size = body.customers.len()))]
pub(super) async fn batch(
    state: web::Data<AppState>,
    key: ApiKey,
    body: web::Json<Batch>,
) -> Result<HttpResponse, ApiError> {
    let customers = body.into_inner().customers;
    if customers.is_empty() {
        return Err(ApiError::new(Code::ValidationFailed, "`customers` must list at least one customer."));
    }
    if customers.len() > MAX_BATCH {
        let message = format!("At most {MAX_BATCH} customers per batch; got {}.", customers.len());
        return Err(ApiError::new(Code::BatchTooLarge, message));
    }
    super::check_back_dating(&key, &customers)?;
    let results = state.assigner.assign(customers).await?;
    Ok(HttpResponse::Ok().json(Results { results }))
}
