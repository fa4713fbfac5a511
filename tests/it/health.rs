use crate::support::app::assert_envelope;
use crate::support::TestApp;

#[tokio::test]
async fn healthz_answers_without_the_database() {
    let app = TestApp::spawn().await;
    app.db.drop_now().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_follows_the_database() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!((status, body["database"].as_str()), (200, Some("ok")));

    app.db.drop_now().await;
    let response = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_envelope(&body, "unavailable");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.get("/healthz", None).await;
    }
    app.get("/api/v1/experiments/some-key", None).await;
    app.get("/no/such/page", None).await;
    let (status, body) = app.get("/metrics", None).await;
    assert_eq!(status, 200);
    let text = body.as_str().unwrap();
    assert!(text.contains(r#"stagelab_http_requests_total{method="GET",route="/healthz",status="200"} 3"#), "{text}");
    // Paths with ids are labelled by their pattern, unknown paths all alike.
    assert!(text.contains(r#"route="/api/v1/experiments/{key}",status="401"} 1"#), "{text}");
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#), "{text}");
    assert!(text.contains("stagelab_http_request_duration_seconds_bucket"), "{text}");
}

#[tokio::test]
async fn every_response_carries_its_request_id() {
    let app = TestApp::spawn().await;
    let mut ids = std::collections::HashSet::new();
    for path in ["/healthz", "/api/v1/experiments", "/no/such/page"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        let id = response.headers().get("x-request-id").unwrap_or_else(|| panic!("{path}: no X-Request-Id"));
        assert_eq!(id.to_str().unwrap().len(), 36, "{path}: a UUID");
        ids.insert(id.to_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 3, "a new id per request");
}
