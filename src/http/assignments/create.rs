//! `POST /api/v1/assignments`: one customer's variants.

use crate::assign::AssignRequest;
use crate::errors::ApiError;
use crate::http::auth::ApiKey;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};

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
