//! Server-rendered HTML pages (minijinja).

mod report;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(report::report);
}
