//! HTTP handlers, one file per action; each module exposes `configure`.

pub mod assets;
pub mod assignments;
pub mod auth;
pub mod docs;
pub mod events;
pub mod experiments;
pub mod health;
pub mod lifecycle;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod path;
pub mod programme;
pub mod ui;
pub mod webhooks;

use crate::errors::{self, ApiError, Code};
use actix_web::web;

/// Largest JSON body accepted (event batches are the biggest legitimate bodies).
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;

/// Largest UI form accepted (an experiment with many variant payloads fits easily).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| ApiError::new(Code::InvalidQuery, err.to_string()).into()),
        )
        .app_data(
            web::FormConfig::default()
                .limit(MAX_FORM_BYTES)
                .error_handler(|err, _| ui::error::UiError::BadRequest(err.to_string()).into()),
        )
        // Routes are tried in this order: the storefront's hot paths (fixed paths) first.
        .configure(assignments::configure)
        .configure(events::configure)
        .configure(health::configure)
        .configure(metrics::configure)
        .configure(openapi::configure)
        .configure(docs::configure)
        .configure(experiments::configure)
        .configure(lifecycle::configure)
        .configure(programme::configure)
        .configure(webhooks::configure)
        .configure(assets::configure)
        .configure(ui::configure);
}

/// JSON extractor settings: size limit and enveloped errors.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_JSON_BYTES).error_handler(|err, _| errors::from_json_error(err).into())
}

/// The answer for a path parameter that does not parse (e.g. a non-numeric `{id}`): the envelope
/// (400 `invalid_path`) on the API, the HTML "not found" page (404) on the UI, whose paths are
/// links rather than an interface to program against.
fn path_error(err: actix_web::error::PathError, req: &actix_web::HttpRequest) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        ApiError::new(Code::InvalidPath, err.to_string()).into()
    } else {
        ui::error::UiError::NotFound(format!("There is no such page: {err}.")).into()
    }
}

/// The answer for a route that does not exist.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(Code::NotFound, format!("No route for {} {}.", req.method(), req.path())))
}
