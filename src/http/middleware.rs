//! Middleware of the HTTP layer: [`track`] counts, times and logs every request.

use crate::http::auth::QuietKey;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use std::time::Instant;
use tracing_actix_web::RequestId;

/// Middleware: counts and times every request, labelled by route pattern (not by path, so that
/// ids in paths cannot blow up the number of series), logs it (inside the request's span, which
/// carries its `request_id`) and returns the id in `X-Request-Id`. Probes, scrapes and the
/// requests of the demo's own simulated traffic (marked [`QuietKey`] by the key extractor) are logged
/// at debug level only, so that they do not bury what a person reads.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().as_str().to_owned();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let by_quiet_key = response.request().extensions().contains::<QuietKey>();
    if let Some(metrics) = state.as_ref().map(|s| &s.metrics) {
        metrics.http_requests.with_label_values(&[&method, &route, &status.to_string()]).inc();
        metrics.http_duration.with_label_values(&[&method, &route]).observe(elapsed.as_secs_f64());
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    // Probes and scrapes come every few seconds: logged only at debug level.
    if by_quiet_key || matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(%method, %route, status, latency_ms, "request");
    } else {
        tracing::info!(%method, %route, status, latency_ms, "request");
    }
    if let Some(id) = request_id.and_then(|id| header::HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(header::HeaderName::from_static("x-request-id"), id);
    }
    Ok(response)
}
