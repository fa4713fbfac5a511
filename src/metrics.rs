//! The service's Prometheus metrics, declared once and imported by whoever counts (assignment,
//! events, the outcome refresh, the HTTP middleware). This module depends on no other part of
//! stagelab; the web layer only serves `GET /metrics` (`http::health`) from [`Metrics::registry`].

use prometheus::{
    register_gauge_with_registry, register_histogram_vec_with_registry, register_histogram_with_registry,
    register_int_counter_vec_with_registry, register_int_counter_with_registry, register_int_gauge_vec_with_registry,
    register_int_gauge_with_registry, Gauge, Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Registry,
};

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
    /// `stagelab_exposure_batch_size`: exposures per group commit. Its running sum is also the
    /// number of first exposures this node stored, which the outcome refresh reads to back off.
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
    /// `stagelab_attribute_updates_dropped_total`: attribute-only writes not queued because the
    /// group-commit queue was full (the storefront sends them again with the next request).
    pub attribute_updates_dropped: IntCounter,
    /// `stagelab_webhook_deliveries_total{outcome}`: delivery attempts `delivered`, `retried`
    /// or `failed` (given up).
    pub webhook_deliveries: IntCounterVec,
}

/// Request latency buckets, in seconds.
const LATENCY: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let r = Registry::new();
        // Registration fails only for a duplicate or malformed name: a programming error here.
        let registered = "each metric is registered once with a valid name";
        Metrics {
            http_requests: register_int_counter_vec_with_registry!(
                "stagelab_http_requests_total",
                "HTTP requests by method, route pattern and status.",
                &["method", "route", "status"],
                r
            )
            .expect(registered),
            http_duration: register_histogram_vec_with_registry!(
                "stagelab_http_request_duration_seconds",
                "HTTP request latency by method and route pattern.",
                &["method", "route"],
                LATENCY.to_vec(),
                r
            )
            .expect(registered),
            assignments: register_int_counter_vec_with_registry!(
                "stagelab_assignments_total",
                "Assignments answered, by experiment and variant.",
                &["experiment", "variant"],
                r
            )
            .expect(registered),
            exposures: register_int_counter_vec_with_registry!(
                "stagelab_exposures_total",
                "First exposures stored, by experiment and variant.",
                &["experiment", "variant"],
                r
            )
            .expect(registered),
            exposure_batch: register_histogram_with_registry!(
                "stagelab_exposure_batch_size",
                "Exposures stored per group commit.",
                vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0],
                r
            )
            .expect(registered),
            exposure_wait: register_histogram_with_registry!(
                "stagelab_exposure_wait_seconds",
                "Time a request waited in the group-commit queue.",
                vec![0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0],
                r
            )
            .expect(registered),
            events: register_int_counter_vec_with_registry!(
                "stagelab_events_total",
                "Events received, by outcome (accepted or duplicate).",
                &["outcome"],
                r
            )
            .expect(registered),
            events_rejected: register_int_counter_vec_with_registry!(
                "stagelab_events_rejected_total",
                "Problems found in rejected event batches, by reason.",
                &["reason"],
                r
            )
            .expect(registered),
            event_batch: register_histogram_with_registry!(
                "stagelab_event_batch_size",
                "Events per request.",
                vec![1.0, 10.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0],
                r
            )
            .expect(registered),
            db_pool: register_int_gauge_vec_with_registry!(
                "stagelab_db_pool_connections",
                "Database pool: open, idle and max connections, and waiting requests.",
                &["state"],
                r
            )
            .expect(registered),
            exposure_queue: register_int_gauge_with_registry!(
                "stagelab_exposure_queue",
                "Assignment requests waiting for their group commit.",
                r
            )
            .expect(registered),
            config_age: register_gauge_with_registry!(
                "stagelab_config_age_seconds",
                "Seconds since the experiment definitions were last loaded from the database.",
                r
            )
            .expect(registered),
            outcome_refresh: register_histogram_vec_with_registry!(
                "stagelab_outcome_refresh_seconds",
                "Time to bring an experiment's outcome rows up to date before a report.",
                &["kind"],
                vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0],
                r
            )
            .expect(registered),
            attribute_updates_dropped: register_int_counter_with_registry!(
                "stagelab_attribute_updates_dropped_total",
                "Attribute-only writes dropped because the group-commit queue was full.",
                r
            )
            .expect(registered),
            webhook_deliveries: register_int_counter_vec_with_registry!(
                "stagelab_webhook_deliveries_total",
                "Webhook delivery attempts by outcome (delivered, retried, failed).",
                &["outcome"],
                r
            )
            .expect(registered),
            registry: r,
        }
    }

    /// The metrics in Prometheus' text exposition format, with its content type.
    pub fn encode(&self) -> Result<(String, Vec<u8>), prometheus::Error> {
        use prometheus::Encoder;
        let encoder = prometheus::TextEncoder::new();
        let mut buffer = Vec::new();
        encoder.encode(&self.registry.gather(), &mut buffer)?;
        Ok((encoder.format_type().to_string(), buffer))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn every_metric_is_exported_under_its_name() {
        let m = Metrics::new();
        m.assignments.with_label_values(&["e", "v"]).inc();
        m.http_requests.with_label_values(&["GET", "/x", "200"]).inc();
        m.http_duration.with_label_values(&["GET", "/x"]).observe(0.01);
        m.events.with_label_values(&["accepted"]).inc();
        m.events_rejected.with_label_values(&["r"]).inc();
        m.exposures.with_label_values(&["e", "v"]).inc();
        m.db_pool.with_label_values(&["open"]).set(1);
        m.outcome_refresh.with_label_values(&["full"]).observe(1.0);
        m.webhook_deliveries.with_label_values(&["delivered"]).inc();
        let (content_type, body) = m.encode().unwrap();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let text = String::from_utf8(body).unwrap();
        for name in [
            "stagelab_http_requests_total",
            "stagelab_http_request_duration_seconds",
            "stagelab_assignments_total",
            "stagelab_exposures_total",
            "stagelab_exposure_batch_size",
            "stagelab_exposure_wait_seconds",
            "stagelab_events_total",
            "stagelab_events_rejected_total",
            "stagelab_event_batch_size",
            "stagelab_db_pool_connections",
            "stagelab_exposure_queue",
            "stagelab_config_age_seconds",
            "stagelab_outcome_refresh_seconds",
            "stagelab_attribute_updates_dropped_total",
            "stagelab_webhook_deliveries_total",
        ] {
            assert!(text.contains(&format!("# TYPE {name} ")), "{name} missing");
        }
    }
}
