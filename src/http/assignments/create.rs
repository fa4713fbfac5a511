//! `POST /api/v1/assignments`: one customer's variants.

use crate::assign::{AssignRequest, AssignResponse};
use crate::errors::ApiError;
use crate::http::auth::ApiKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};

/// Assigns one customer: the variants of the running experiments whose stage and targeting match.
/// Sticky while the experiment runs; a 200 means the exposure is durably stored.
#[utoipa::path(
    post,
    path = "/api/v1/assignments",
    operation_id = "assign",
    tag = "storefront",
    request_body = AssignRequest,
    responses((status = 200, description = "The customer's assignments (possibly none).", body = AssignResponse)),
    security(("storefront_key" = []), ("admin_key" = []))
)]
#[post("/api/v1/assignments")]
#[tracing::instrument(skip_all, fields(customer.id = %body.customer_id))]
pub(super) async fn create(
    state: web::Data<AppState>,
    key: ApiKey,
    body: web::Json<AssignRequest>,
) -> Result<HttpResponse, ApiError> {
    let requests = vec![body.into_inner()];
    super::check_back_dating(&key, &requests)?;
    let mut answers = state.assigner.assign(requests).await?;
    Ok(HttpResponse::Ok().json(answers.remove(0)))
}
