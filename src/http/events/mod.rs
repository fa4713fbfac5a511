//! `POST /api/v1/events` (storefront or admin key).

mod create;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create::create);
}
