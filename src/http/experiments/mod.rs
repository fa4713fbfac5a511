//! `/api/v1/experiments`: experiment definitions and status (admin key). An experiment is served
//! as [`crate::db::models::experiments::StoredExperiment`] serialises.

mod get;
mod list;
pub(crate) mod results;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list).service(results::json).service(results::csv).service(get::get);
}
