//! `/api/v1/webhooks` (admin key): where notifications are delivered (CONTRACT §8).

mod create;
mod delete;
mod list;
mod test;

use crate::errors::{ApiError, Code};
use actix_web::web;
use uuid::Uuid;

/// These routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create::create, list::list, delete::delete, test::test))]
pub struct ApiDoc;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create::create).service(list::list).service(delete::delete).service(test::test);
}

/// The webhook id of a path: a UUID, or 404 (no webhook has another id).
fn webhook_id(text: &str) -> Result<Uuid, ApiError> {
    text.parse().map_err(|_| not_found(text))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("No webhook with id {id:?}."))
}
