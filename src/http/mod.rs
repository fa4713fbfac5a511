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
pub mod ui;

use crate::errors::{self, ApiError};
use actix_web::web;

/// Largest JSON body accepted (event batches are the biggest legitimate bodies).
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;

/// Largest UI form accepted (an experiment with many variant payloads fits easily).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::bad_request("invalid_path", err.to_string()).into()),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| ApiError::bad_request("invalid_query", err.to_string()).into()),
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
        .configure(assets::configure)
        .configure(ui::configure);
}

/// JSON extractor settings: size limit and enveloped errors.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_JSON_BYTES).error_handler(|err, _| errors::from_json_error(err).into())
}

/// The answer for a route that does not exist.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found(format!("No route for {} {}.", req.method(), req.path())))
}
