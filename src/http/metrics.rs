//! `GET /metrics`: the metrics of [`crate::metrics`] in Prometheus' text format. The gauges that
//! describe the moment (pool, queue, definitions' age) are set when scraped.

use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(export);
}

/// This route's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(export))]
pub struct ApiDoc;

/// The metrics in Prometheus' text format.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format.", body = String,
        content_type = "text/plain; version=0.0.4")))]
#[get("/metrics")]
async fn export(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    let pool = state.pool.status();
    for (label, value) in
        [("open", pool.size), ("idle", pool.available), ("max", pool.max_size), ("waiting", pool.waiting)]
    {
        m.db_pool.with_label_values(&[label]).set(value as i64);
    }
    m.exposure_queue.set(state.assigner.writer().pending() as i64);
    m.config_age.set(state.cache.snapshot().loaded_at.elapsed().as_secs_f64());
    match m.encode() {
        Ok((content_type, body)) => HttpResponse::Ok().content_type(content_type).body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
