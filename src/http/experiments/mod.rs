//! `/api/v1/experiments`: experiment definitions and status (admin key). An experiment is served
//! as [`crate::db::models::experiments::StoredExperiment`] serialises.

mod get;
mod list;
pub(crate) mod results;
mod ship;

use actix_web::web;

/// These routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list::list, get::get, results::json, results::csv, ship::ship, ship::unship))]
pub struct ApiDoc;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list)
        .service(results::json)
        .service(results::csv)
        .service(ship::ship)
        .service(ship::unship)
        .service(get::get);
}
