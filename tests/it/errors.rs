//! The error envelope for malformed requests, including the shared JSON body configuration.

use crate::support::app::{assert_envelope, read};
use crate::support::TestApp;
use actix_web::{web, App, HttpResponse, HttpServer};

#[tokio::test]
async fn unknown_routes_get_the_envelope() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(status, 404);
    assert_envelope(&body, "not_found");
    let response = app.client.post(format!("{}/healthz", app.address)).send().await.unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 404);
    assert_envelope(&body, "not_found");
}

#[tokio::test]
async fn malformed_credentials_get_the_envelope() {
    let app = TestApp::spawn().await;
    for header in ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-key"] {
        let mut req = app.client.get(format!("{}/api/v1/experiments", app.address));
        if !header.is_empty() {
            req = req.header("Authorization", header);
        }
        let (status, body) = read(req.send().await.unwrap()).await;
        assert_eq!(status, 401, "{header:?}");
        assert_envelope(&body, "unauthorized");
    }
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Probe {
    customer_id: String,
    count: u32,
}

async fn probe(_: web::Json<Probe>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Every JSON endpoint uses `stagelab::http::json_config()`; this checks what it answers.
#[tokio::test]
async fn malformed_json_bodies_get_the_envelope() {
    let server =
        HttpServer::new(|| App::new().app_data(stagelab::http::json_config()).route("/probe", web::post().to(probe)))
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>, content_type: &'static str| {
        let client = client.clone();
        let url = format!("{address}/probe");
        async move { read(client.post(url).header("content-type", content_type).body(body).send().await.unwrap()).await }
    };
    let json = "application/json";
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (b"{\"customer_id\": \"c\", \"count\": 1}".to_vec(), json, 200, ""),
        (b"{\"customer_id\": ".to_vec(), json, 400, "invalid_json"),
        (b"not json".to_vec(), json, 400, "invalid_json"),
        (vec![0xff, 0xfe, b'{'], json, 400, "invalid_json"),
        (b"{\"customer_id\": 5, \"count\": 1}".to_vec(), json, 422, "validation_failed"),
        (b"{\"customer_id\": \"c\", \"count\": -1}".to_vec(), json, 422, "validation_failed"),
        (b"{\"customer_id\": \"c\"}".to_vec(), json, 422, "validation_failed"),
        (b"{\"customer_id\": \"c\", \"count\": 1}".to_vec(), "text/plain", 415, "unsupported_media_type"),
        (
            format!("{{\"customer_id\": \"{}\", \"count\": 1}}", "x".repeat(stagelab::http::MAX_JSON_BYTES))
                .into_bytes(),
            json,
            413,
            "payload_too_large",
        ),
    ];
    for (body, content_type, status, code) in cases {
        let (got, answer) = post(body, content_type).await;
        assert_eq!(got, status, "{answer}");
        if status != 200 {
            assert_envelope(&answer, code);
        }
    }
    handle.stop(false).await;
}
