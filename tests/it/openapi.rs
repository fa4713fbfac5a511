//! The OpenAPI document (`GET /api/openapi.json`): served without a key, valid according to
//! openapi-spec-validator, and schemathesis finds no server error against a running app with
//! running experiments.

use crate::support::{pytools, AssignCall, TestApp};
use serde_json::{json, Value};
use stagelab::domain::key::KeyRole;
use std::path::Path;
use std::time::Duration;

/// Runs a tool; returns whether it succeeded and what it printed.
async fn run(program: &Path, args: &[&str], dir: &Path) -> (bool, String) {
    let output = tokio::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

#[tokio::test]
async fn the_document_is_served_without_a_key_and_is_valid() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200, "{doc}");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    let example = &doc["components"]["schemas"]["AssignRequest"]["example"];
    assert_eq!(example["customer_id"], "c-1", "the request bodies carry examples");

    let Some(bin) = pytools::bin_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let validator = bin.join("openapi-spec-validator");
    std::fs::write(dir.path().join("openapi.json"), doc.to_string()).unwrap();
    let (ok, printed) = run(&validator, &["openapi.json"], dir.path()).await;
    assert!(ok, "openapi-spec-validator rejects the document:\n{printed}");

    // The validator does reject a broken document (so the check above can fail).
    let mut broken = doc.clone();
    broken["paths"]["/api/v1/assignments"]["post"]["responses"]["200"] = json!({"content": {}});
    std::fs::write(dir.path().join("broken.json"), broken.to_string()).unwrap();
    let (ok, printed) = run(&validator, &["broken.json"], dir.path()).await;
    assert!(!ok, "a response without a description passed:\n{printed}");
}

/// The number of requests to routes matching `route` that the app answered with a status of this
/// class (`'2'`, `'5'`), from `/metrics`.
async fn answered(app: &TestApp, route: &str, class: char) -> u64 {
    let (_, text) = app.get("/metrics", None).await;
    text.as_str()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("stagelab_http_requests_total{") && l.contains(route))
        .filter(|l| l.split("status=\"").nth(1).is_some_and(|s| s.starts_with(class)))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

#[tokio::test]
async fn schemathesis_finds_no_server_error() {
    let Some(bin) = pytools::bin_dir() else { return };
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let storefront = app.create_key(KeyRole::Storefront).await;
    app.wait_for_key_name(&admin, "test").await;
    app.wait_for_key_name(&storefront, "test").await;
    // Some history, so that the results have numbers.
    app.assign(&storefront, &AssignCall::new("c-1").stage("acquisition").attributes(json!({"country": "JP"}))).await;
    let event = json!({"id": "e-1", "customer_id": "c-1", "type": "purchase", "value": 42.5,
        "occurred_at": chrono::Utc::now().to_rfc3339()});
    app.send_events(&storefront, &[event]).await;

    let dir = tempfile::tempdir().unwrap();
    let schema = format!("{}/api/openapi.json", app.address);
    let st = bin.join("st");
    // The admin key reaches every operation; the storefront key the storefront ones (and gets
    // 403 elsewhere, which must not be a server error either).
    for (name, token, checks) in [
        ("admin", &admin, "not_a_server_error,response_schema_conformance,content_type_conformance"),
        ("storefront", &storefront, "not_a_server_error"),
    ] {
        let auth = format!("Authorization: Bearer {token}");
        let args = [
            "run",
            schema.as_str(),
            "--checks",
            checks,
            "--max-examples",
            "30",
            "--seed",
            "7",
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-database",
            "none",
            "--generation-with-security-parameters",
            "false",
            "--request-timeout",
            "20",
            "-H",
            auth.as_str(),
        ];
        let run = tokio::time::timeout(Duration::from_secs(300), run(&st, &args, dir.path()));
        let (ok, printed) = run.await.expect("schemathesis took more than 5 minutes");
        assert!(ok, "schemathesis ({name} key) found problems:\n{printed}");
        eprintln!("schemathesis ({name} key):\n{printed}");
    }
    assert_eq!(answered(&app, "", '5').await, 0, "the app answered with a server error");
    assert!(answered(&app, "", '2').await >= 100, "schemathesis sent too few successful requests");
    // The report's schema was checked against real reports (the examples name a real experiment).
    let reports = answered(&app, "route=\"/api/v1/experiments/{key}/results\"", '2').await;
    assert!(reports > 0, "no report was fetched");
    let (status, _): (u16, Value) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_docs_page_and_its_vendored_assets_are_served_under_a_strict_csp() {
    let app = TestApp::spawn().await;
    let page = app.client.get(format!("{}/api/docs", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_eq!(csp, stagelab::http::docs::CSP);
    for directive in ["script-src 'self';", "style-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("<style"), "no inline scripts or styles");
    // Every script and stylesheet the page loads is served here (no CDN), with its content type.
    let sources: Vec<&str> =
        html.split(['"']).filter(|s| s.starts_with("/api/docs/") || s.starts_with("http")).collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
    for source in sources {
        assert!(source.starts_with('/'), "{source} is not on this server");
        let response = app.client.get(format!("{}{source}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{source}");
        let expected = if source.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with(expected), "{source}");
        assert!(response.bytes().await.unwrap().len() > 100, "{source}");
    }
    let (status, body) = app.get("/api/docs/nothing.js", None).await;
    assert_eq!(status, 404);
    crate::support::app::assert_envelope(&body, "not_found");
    // The admin UI keeps its own policy.
    let login = app.client.get(format!("{}/login", app.address)).send().await.unwrap();
    let ui_csp = login.headers()["content-security-policy"].to_str().unwrap();
    assert!(ui_csp.contains("style-src 'self';") && !ui_csp.contains("unsafe"), "{ui_csp}");
}
