//! Webhooks (CONTRACT §8): the API's checks, signed deliveries on loopback, retries that keep the
//! notification's id, a receiver that does not answer in time, and a delivery that survives a
//! SIGKILL of the service.

use crate::support::app::{assert_envelope, read};
use crate::support::cli::{serve_command, signal, spawn_serve};
use crate::support::receiver::{Received, Receiver};
use crate::support::TestApp;
use hmac::{Hmac, Mac};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use stagelab::changes;
use stagelab::domain::experiment::Status;
use stagelab::domain::key::KeyRole;
use stagelab::domain::webhook::WebhookSpec;
use std::time::Duration;

/// Creates a webhook for `events` to `url`; returns its id and secret.
async fn create(app: &TestApp, admin: &str, url: &str, events: &[&str], format: &str) -> (String, String) {
    let (status, body) =
        app.post("/api/v1/webhooks", admin, &json!({"url": url, "events": events, "format": format})).await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_string(), body["secret"].as_str().unwrap().to_string())
}

/// Moves `key` to `to` as a person would, through the change that the UI makes.
async fn set_status(app: &TestApp, key: &str, to: Status) {
    let mut conn = app.pool.get().await.unwrap();
    changes::set_status(&mut conn, key, to, |_, _| true, "user:analyst@example.com").await.unwrap();
}

/// Checks the signature with an HMAC computed here, independently of the service's code.
fn assert_signed(got: &Received, secret: &str) {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&got.body);
    let hex = got.signature.strip_prefix("sha256=").expect("sha256= prefix");
    mac.verify_slice(&hex::decode(hex).unwrap()).expect("the signature verifies with the secret");
    assert_eq!(got.content_type, "application/json");
}

#[tokio::test]
async fn webhooks_are_checked_created_listed_without_secrets_and_deleted() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let storefront = app.create_key(KeyRole::Storefront).await;
    let good = json!({"url": "https://hooks.example.com/x", "events": ["experiment.srm"]});
    let (status, body) = app.post("/api/v1/webhooks", &storefront, &good).await;
    assert_eq!(status, 403, "{body}");
    for (body, field, says) in [
        (json!({"url": "ftp://x.example/", "events": ["experiment.srm"]}), "url", "http:// or https://"),
        (json!({"url": "https://u:p@x.example/", "events": ["experiment.srm"]}), "url", "credentials"),
        (
            json!({"url": format!("https://x.example/{}", "a".repeat(2000)), "events": ["experiment.srm"]}),
            "url",
            "2000",
        ),
        (json!({"url": "https://x.example/", "events": ["experiment.nope"]}), "events", "experiment.nope"),
        (json!({"url": "https://x.example/", "events": []}), "events", "at least one"),
        (json!({"url": "https://x.example/", "events": ["experiment.srm"], "format": "xml"}), "format", "xml"),
    ] {
        let (status, answer) = app.post("/api/v1/webhooks", &admin, &body).await;
        assert_eq!(status, 422, "{answer}");
        assert_envelope(&answer, "validation_failed");
        assert_eq!(answer["error"]["details"][0]["field"], field, "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(says), "{answer}");
    }
    let (status, answer) = app.post("/api/v1/webhooks", &admin, &json!({"url": "https://x.example/"})).await;
    assert_eq!(status, 422, "{answer}");
    let (_, list) = app.get("/api/v1/webhooks", Some(&admin)).await;
    assert_eq!(list["webhooks"], json!([]), "nothing was stored by a refused request");

    let (id, secret) = create(&app, &admin, "https://hooks.example.com/x", &["experiment.srm"], "slack").await;
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    let (status, list) = app.get("/api/v1/webhooks", Some(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    let listed = &list["webhooks"][0];
    assert_eq!(
        (listed["id"].as_str(), &listed["events"], &listed["format"]),
        (Some(&*id), &json!(["experiment.srm"]), &json!("slack"))
    );
    assert!(listed.get("secret").is_none() && !list.to_string().contains(&secret), "{list}");

    let delete = |path: String| app.client.delete(format!("{}{path}", app.address)).bearer_auth(&admin).send();
    let (status, _) = read(delete(format!("/api/v1/webhooks/{id}")).await.unwrap()).await;
    assert_eq!(status, 204);
    for path in [format!("/api/v1/webhooks/{id}"), "/api/v1/webhooks/not-a-uuid".to_string()] {
        let (status, body) = read(delete(path).await.unwrap()).await;
        assert_eq!(status, 404, "{body}");
        assert_envelope(&body, "not_found");
    }
}

#[tokio::test]
async fn status_changes_are_delivered_signed_to_subscribers_only() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let (json_hook, slack_hook, other) = (Receiver::start(), Receiver::start(), Receiver::start());
    let (_, secret) = create(&app, &admin, &json_hook.url, &["experiment.paused", "experiment.started"], "json").await;
    let (_, slack_secret) = create(&app, &admin, &slack_hook.url, &["experiment.paused"], "slack").await;
    create(&app, &admin, &other.url, &["experiment.srm"], "json").await;

    set_status(&app, "welcome-offer", Status::Paused).await;
    let got = json_hook.wait_for(1, Duration::from_secs(10)).await;
    assert_signed(&got[0], &secret);
    let body = got[0].json();
    assert_eq!(body["type"], "experiment.paused");
    assert_eq!(
        body["experiment"],
        json!({"key": "welcome-offer", "name": "Welcome offer for new visitors", "status": "paused"})
    );
    assert_eq!(body["data"]["from"], "running");
    assert_eq!(body["data"]["actor"], "user:analyst@example.com");
    assert!(uuid::Uuid::parse_str(body["id"].as_str().unwrap()).is_ok(), "{body}");
    assert!(chrono::DateTime::parse_from_rfc3339(body["at"].as_str().unwrap()).is_ok(), "{body}");

    let slack = slack_hook.wait_for(1, Duration::from_secs(10)).await;
    assert_signed(&slack[0], &slack_secret);
    let text = slack[0].json()["text"].as_str().unwrap().to_string();
    assert!(
        text.contains("*Welcome offer for new visitors* (`welcome-offer`) was paused by user:analyst@example.com"),
        "{text}"
    );

    set_status(&app, "welcome-offer", Status::Running).await;
    let got = json_hook.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].json()["type"], "experiment.started");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(slack_hook.received().len(), 1, "the slack hook is not subscribed to experiment.started");
    assert!(other.received().is_empty(), "a hook subscribed to other types gets nothing");
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_same_id_three_times() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let hook = Receiver::start();
    hook.answer(&[500, 500, 200]);
    let (id, secret) = create(&app, &admin, &hook.url, &["experiment.paused"], "json").await;
    set_status(&app, "welcome-offer", Status::Paused).await;
    let got = hook.wait_for(3, Duration::from_secs(15)).await;
    let ids: Vec<Value> = got.iter().map(|g| g.json()["id"].clone()).collect();
    assert_eq!(ids, [ids[0].clone(), ids[0].clone(), ids[0].clone()], "one notification, retried");
    assert!(got.iter().all(|g| g.body == got[0].body), "every retry sends the same bytes");
    assert_signed(&got[2], &secret);
    // The API's test delivery goes to this webhook alone.
    let (status, queued) = app.post(&format!("/api/v1/webhooks/{id}/test"), &admin, &json!({})).await;
    assert_eq!(status, 202, "{queued}");
    let got = hook.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(
        (got[3].json()["type"].clone(), got[3].json()["id"].clone()),
        (json!("webhook.test"), queued["id"].clone())
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hook.received().len(), 4, "delivered once each, no more");
    let mut conn = app.pool.get().await.unwrap();
    let recent = stagelab::db::models::deliveries::recent(&mut conn, id.parse().unwrap(), 50).await.unwrap();
    let states: Vec<(&str, i32, Option<i32>)> =
        recent.iter().map(|(d, _)| (d.state.as_str(), d.attempts, d.last_status)).collect();
    assert_eq!(states, [("delivered", 1, Some(200)), ("delivered", 3, Some(200))]);
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_5_s_is_a_failed_attempt_not_a_stuck_worker() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let (slow, fast) = (Receiver::start(), Receiver::start());
    slow.delay(Duration::from_secs(30));
    let (slow_id, _) = create(&app, &admin, &slow.url, &["experiment.paused"], "json").await;
    create(&app, &admin, &fast.url, &["experiment.started"], "json").await;
    set_status(&app, "welcome-offer", Status::Paused).await;
    slow.wait_for(1, Duration::from_secs(10)).await;
    set_status(&app, "welcome-offer", Status::Running).await;
    fast.wait_for(1, Duration::from_secs(4)).await;
    let mut conn = app.pool.get().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let recent = stagelab::db::models::deliveries::recent(&mut conn, slow_id.parse().unwrap(), 50).await.unwrap();
        let (d, _) = &recent[0];
        if d.last_error.is_some() {
            assert_eq!(d.state, "pending", "retried later");
            assert_eq!(d.last_error.as_deref(), Some("no answer within 5 s"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the slow attempt was never recorded as failed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_delivery_pending_when_the_service_is_killed_arrives_after_restart() {
    let db = crate::support::TestDb::new().await;
    crate::support::writes::prepare(db.url()).await;
    let pool = db.pool();
    let mut conn = pool.get().await.unwrap();
    let hook = Receiver::start();
    hook.answer(&[503]);
    let spec = WebhookSpec::parse(&hook.url, &["experiment.paused".into()], None).unwrap();
    let secret = "whsec_test";
    stagelab::db::models::webhooks::insert(&mut conn, &spec, secret, "test").await.unwrap();
    let start = || {
        let mut cmd = serve_command(db.url());
        cmd.env("STAGELAB_WEBHOOK_RETRY_MS", "3000");
        spawn_serve(cmd)
    };
    let (server, _) = start();
    changes::set_status(&mut conn, "welcome-offer", Status::Paused, |_, _| true, "user:a@example.com").await.unwrap();
    // The first attempt fails; the retry is due in 3 s, and the service dies before it.
    let first = hook.wait_for(1, Duration::from_secs(10)).await;
    let webhook = stagelab::db::models::webhooks::list(&mut conn).await.unwrap()[0].id;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while stagelab::db::models::deliveries::recent(&mut conn, webhook, 1).await.unwrap()[0].0.last_status != Some(503) {
        assert!(std::time::Instant::now() < deadline, "the failed attempt was never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    signal(&server, Signal::SIGKILL);
    drop(server.wait_with_output());
    let (mut server, _) = start();
    let got = hook.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(got[1].json()["id"], first[0].json()["id"], "the same notification, after the restart");
    assert_signed(&got[1], secret);
    signal(&server, Signal::SIGTERM);
    server.wait().unwrap();
}

#[tokio::test]
async fn two_nodes_never_send_the_same_delivery() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let hook = Receiver::start();
    hook.delay(Duration::from_millis(20));
    create(&app, &admin, &hook.url, &["experiment.paused", "experiment.started"], "json").await;
    // A second node's worker on the same database, beside the app's own.
    let other = stagelab::notify::worker::DeliveryWorker::new(
        app.pool.clone(),
        Duration::from_millis(100),
        stagelab::metrics::Metrics::new(),
    )
    .unwrap();
    tokio::spawn(other.run());
    for i in 0..40 {
        set_status(&app, "welcome-offer", if i % 2 == 0 { Status::Paused } else { Status::Running }).await;
    }
    let got = hook.wait_for(40, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ids: std::collections::BTreeSet<String> =
        hook.received().iter().map(|g| g.json()["id"].as_str().unwrap().to_string()).collect();
    assert_eq!((hook.received().len(), ids.len()), (40, 40), "each of 40 notifications exactly once ({})", got.len());
}

#[tokio::test]
async fn an_attempt_that_outlived_its_lease_does_not_overwrite_a_later_one() {
    use stagelab::db::models::deliveries::{self, Outcome};
    // No service runs here: no worker takes the delivery before the test does.
    let db = crate::support::TestDb::new().await;
    crate::support::writes::prepare(db.url()).await;
    let mut conn = db.pool().get().await.unwrap();
    let spec = WebhookSpec::parse("http://127.0.0.1:9/never", &["experiment.paused".into()], None).unwrap();
    stagelab::db::models::webhooks::insert(&mut conn, &spec, "whsec_x", "test").await.unwrap();
    changes::set_status(&mut conn, "welcome-offer", Status::Paused, |_, _| true, "user:a@example.com").await.unwrap();
    let first = deliveries::claim(&mut conn, 10, 0).await.unwrap();
    assert_eq!(first.len(), 1);
    // Its lease (0 ms here) ran out: another node claims it again.
    let second = deliveries::claim(&mut conn, 10, 60_000).await.unwrap();
    assert_eq!((second.len(), second[0].attempts), (1, 2));
    let failed = Outcome::Failed { status: Some(500), error: "x".into(), next: Some(chrono::Utc::now()) };
    assert!(!deliveries::record(&mut conn, first[0].id, first[0].attempts, &failed).await.unwrap(), "stale attempt");
    assert!(deliveries::record(&mut conn, second[0].id, second[0].attempts, &Outcome::Delivered(200)).await.unwrap());
    let webhook = stagelab::db::models::webhooks::list(&mut conn).await.unwrap()[0].id;
    let state = deliveries::recent(&mut conn, webhook, 5).await.unwrap()[0].0.state.clone();
    assert_eq!(state, "delivered", "the late failure did not undo the delivery");
}
