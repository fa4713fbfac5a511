//! Prometheus metrics: the registry, the HTTP middleware that feeds it, and `GET /metrics`.

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use actix_web::{get, web, HttpResponse};
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::time::Instant;
use tracing_actix_web::RequestId;

/// The service's metrics (cheap to clone: handles into one registry).
#[derive(Clone)]
pub struct Metrics {
    /// Every metric, for `/metrics`.
    pub registry: Registry,
    /// `stagelab_http_requests_total{method, route, status}`.
    pub http_requests: IntCounterVec,
    /// `stagelab_http_request_duration_seconds{method, route}`.
    pub http_duration: HistogramVec,
    /// `stagelab_assignments_total{experiment, variant}`: assignments answered.
    pub assignments: IntCounterVec,
    /// `stagelab_exposures_total{experiment, variant}`: first exposures stored.
    pub exposures: IntCounterVec,
    /// `stagelab_exposure_batch_size`: exposures per group commit.
    pub exposure_batch: Histogram,
    /// `stagelab_exposure_wait_seconds`: time a request waited in the group-commit queue.
    pub exposure_wait: Histogram,
    /// `stagelab_events_total{outcome}`: events `accepted` or `duplicate`.
    pub events: IntCounterVec,
    /// `stagelab_events_rejected_total{reason}`: problems found in rejected batches.
    pub events_rejected: IntCounterVec,
    /// `stagelab_event_batch_size`: events per request.
    pub event_batch: Histogram,
    /// `stagelab_db_pool_connections{state}`: `open`, `idle` and `max` connections, and requests
    /// `waiting` for one (set when scraped).
    pub db_pool: IntGaugeVec,
    /// `stagelab_exposure_queue`: assignment requests waiting for their group commit (set when scraped).
    pub exposure_queue: IntGauge,
    /// `stagelab_config_age_seconds`: time since the definitions were last loaded (set when scraped).
    pub config_age: Gauge,
    /// `stagelab_outcome_refresh_seconds{kind}`: bringing an experiment's outcome rows up to date
    /// (`full` or `incremental`).
    pub outcome_refresh: HistogramVec,
}

impl Metrics {
    /// A fresh registry with the HTTP metrics.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("stagelab_http_requests_total", "HTTP requests by method, route pattern and status."),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let buckets = vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "stagelab_http_request_duration_seconds",
                "HTTP request latency by method and route pattern.",
            )
            .buckets(buckets),
            &["method", "route"],
        )
        .expect("valid metric");
        let assignments = IntCounterVec::new(
            Opts::new("stagelab_assignments_total", "Assignments answered, by experiment and variant."),
            &["experiment", "variant"],
        )
        .expect("valid metric");
        let exposures = IntCounterVec::new(
            Opts::new("stagelab_exposures_total", "First exposures stored, by experiment and variant."),
            &["experiment", "variant"],
        )
        .expect("valid metric");
        let exposure_batch = Histogram::with_opts(
            HistogramOpts::new("stagelab_exposure_batch_size", "Exposures stored per group commit.")
                .buckets(vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0]),
        )
        .expect("valid metric");
        let exposure_wait = Histogram::with_opts(
            HistogramOpts::new("stagelab_exposure_wait_seconds", "Time a request waited in the group-commit queue.")
                .buckets(vec![0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0]),
        )
        .expect("valid metric");
        let events = IntCounterVec::new(
            Opts::new("stagelab_events_total", "Events received, by outcome (accepted or duplicate)."),
            &["outcome"],
        )
        .expect("valid metric");
        let events_rejected = IntCounterVec::new(
            Opts::new("stagelab_events_rejected_total", "Problems found in rejected event batches, by reason."),
            &["reason"],
        )
        .expect("valid metric");
        let event_batch = Histogram::with_opts(
            HistogramOpts::new("stagelab_event_batch_size", "Events per request.")
                .buckets(vec![1.0, 10.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0]),
        )
        .expect("valid metric");
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "stagelab_db_pool_connections",
                "Database pool: open, idle and max connections, and waiting requests.",
            ),
            &["state"],
        )
        .expect("valid metric");
        let exposure_queue =
            IntGauge::new("stagelab_exposure_queue", "Assignment requests waiting for their group commit.")
                .expect("valid metric");
        let config_age = Gauge::new(
            "stagelab_config_age_seconds",
            "Seconds since the experiment definitions were last loaded from the database.",
        )
        .expect("valid metric");
        let outcome_refresh = HistogramVec::new(
            HistogramOpts::new(
                "stagelab_outcome_refresh_seconds",
                "Time to bring an experiment's outcome rows up to date before a report.",
            )
            .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            &["kind"],
        )
        .expect("valid metric");
        for metric in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_duration.clone()),
            Box::new(assignments.clone()),
            Box::new(exposures.clone()),
            Box::new(exposure_batch.clone()),
            Box::new(exposure_wait.clone()),
            Box::new(events.clone()),
            Box::new(events_rejected.clone()),
            Box::new(event_batch.clone()),
            Box::new(db_pool.clone()),
            Box::new(exposure_queue.clone()),
            Box::new(config_age.clone()),
            Box::new(outcome_refresh.clone()),
        ] {
            registry.register(metric).expect("registered once");
        }
        Metrics {
            registry,
            http_requests,
            http_duration,
            assignments,
            exposures,
            exposure_batch,
            exposure_wait,
            events,
            events_rejected,
            event_batch,
            db_pool,
            exposure_queue,
            config_age,
            outcome_refresh,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Middleware: counts and times every request, labelled by route pattern (not by path, so that
/// ids in paths cannot blow up the number of series), logs it (inside the request's span, which
/// carries its `request_id`) and returns the id in `X-Request-Id`.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let method = req.method().as_str().to_owned();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.http_requests.with_label_values(&[&method, &route, &status.to_string()]).inc();
        metrics.http_duration.with_label_values(&[&method, &route]).observe(elapsed.as_secs_f64());
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    // Probes and scrapes come every few seconds: logged only at debug level.
    if matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(%method, %route, status, latency_ms, "request");
    } else {
        tracing::info!(%method, %route, status, latency_ms, "request");
    }
    if let Some(id) = request_id.and_then(|id| header::HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(header::HeaderName::from_static("x-request-id"), id);
    }
    Ok(response)
}

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
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&state.metrics.registry.gather(), &mut buffer) {
        tracing::error!(error = %e, "cannot encode metrics");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok().content_type(encoder.format_type()).body(buffer)
}
