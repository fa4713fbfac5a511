//! `POST /api/v1/assignments` and `POST /api/v1/assignments/batch` (storefront or admin key).

mod batch;
mod create;

use crate::assign::{AssignError, AssignRequest, StoreError};
use crate::domain::key::KeyRole;
use crate::errors::{ApiError, Code};
use crate::http::auth::ApiKey;
use actix_web::web;

/// These routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create::create, batch::batch))]
pub struct ApiDoc;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create::create).service(batch::batch);
}

/// Back-dating (`at`) is for trusted back-fills: only an admin key may send it.
fn check_back_dating(key: &ApiKey, requests: &[AssignRequest]) -> Result<(), ApiError> {
    if key.role != KeyRole::Admin && requests.iter().any(|r| r.at.is_some()) {
        return Err(ApiError::new(
            Code::Forbidden,
            "Only an admin key may back-date an assignment with `at`; leave it out to be exposed now.",
        ));
    }
    Ok(())
}

impl From<AssignError> for ApiError {
    fn from(e: AssignError) -> Self {
        match e {
            AssignError::Invalid(problems) => {
                let details = problems.iter().filter_map(|p| serde_json::to_value(p).ok()).collect();
                ApiError::new(Code::ValidationFailed, "The assignment request is invalid.").with_details(details)
            }
            AssignError::Store(StoreError::Overloaded) => {
                ApiError::new(Code::Overloaded, "Too many assignments are waiting to be stored; retry shortly.")
            }
            // The writer or the lookup logged the cause once, for its whole batch. One bad row
            // fails every call of its group commit, so even a failed statement is answered as
            // retryable: a retry is a new batch.
            AssignError::Store(_) => {
                ApiError::new(Code::Unavailable, "The database is unavailable; nothing was stored. Retry shortly.")
            }
        }
    }
}
