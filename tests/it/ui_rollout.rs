//! The admin UI's rollout pages: shipping and unshipping with a confirmation (editors, CSRF),
//! schedules in the experiment form (UTC), and the webhooks page (admins) with its deliveries.

use crate::support::browser::{app_with_user, form_of, Browser, PASSWORD};
use crate::support::receiver::Receiver;
use reqwest::header::LOCATION;
use stagelab::db::models::experiments;
use std::time::Duration;

async fn logged_in(role: &str) -> (crate::support::TestApp, Browser) {
    let app = app_with_user(role).await;
    let mut b = Browser::new(&app);
    b.login("ana@example.com", PASSWORD).await;
    (app, b)
}

#[tokio::test]
async fn an_editor_ships_a_variant_after_confirming_and_can_end_the_rollout() {
    let (app, mut b) = logged_in("editor").await;
    let (_, html, _) = b.get("/experiments/second-purchase-coupon").await;
    assert!(html.contains("href=\"/experiments/second-purchase-coupon/ship\""), "a ship action");
    let (status, html, _) = b.get("/experiments/second-purchase-coupon/ship").await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"coupon10\"") && html.contains("value=\"free-shipping\""), "{html}");
    let csrf = Browser::csrf(&html);
    let (status, _, _) =
        b.post("/experiments/second-purchase-coupon/ship", &[("csrf_token", "stale"), ("variant", "coupon10")]).await;
    assert_eq!(status, 403, "a form without its token is refused");
    let (status, _, headers) =
        b.post("/experiments/second-purchase-coupon/ship", &[("csrf_token", &csrf), ("variant", "coupon10")]).await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/experiments/second-purchase-coupon");
    let (_, html, _) = b.get("/experiments/second-purchase-coupon").await;
    assert!(html.contains("Shipped: every eligible customer gets coupon10"), "the rollout banner");
    assert!(html.contains("href=\"/experiments/second-purchase-coupon/unship\""));
    let mut conn = app.pool.get().await.unwrap();
    let stored = experiments::find(&mut conn, "second-purchase-coupon").await.unwrap().unwrap();
    assert_eq!(stored.def.ship.as_deref(), Some("coupon10"));
    let (status, html, _) = b.get("/experiments/second-purchase-coupon/ship").await;
    assert_eq!(status, 403, "already shipped: {html}");

    let (status, html, _) = b.get("/experiments/second-purchase-coupon/unship").await;
    assert_eq!(status, 200);
    assert!(html.contains("End the rollout"));
    let (status, _, _) = b.post("/experiments/second-purchase-coupon/unship", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 303);
    let stored = experiments::find(&mut conn, "second-purchase-coupon").await.unwrap().unwrap();
    assert_eq!((stored.def.status.as_str(), stored.def.ship), ("stopped", None));
}

#[tokio::test]
async fn a_viewer_cannot_ship() {
    let (_app, mut b) = logged_in("viewer").await;
    let (_, html, _) = b.get("/experiments/second-purchase-coupon").await;
    assert!(!html.contains("/ship\""), "no ship action for a viewer");
    let (status, _, _) = b.get("/experiments/second-purchase-coupon/ship").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_form_takes_a_schedule_in_utc_and_refuses_one_in_the_past() {
    let (app, mut b) = logged_in("editor").await;
    let mut conn = app.pool.get().await.unwrap();
    let stored = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    let (_, html, _) = b.get("/experiments/welcome-offer/edit").await;
    assert!(html.contains("Schedule (times in UTC)") && html.contains("name=\"stop_at\""), "schedule fields");
    let csrf = Browser::csrf(&html);
    let mut fields: Vec<(String, String)> = stagelab::http::ui::form::fields_of(&stored.def).into_iter().collect();
    fields.push(("csrf_token".into(), csrf));
    fields.push(("version".into(), stored.version.to_string()));
    let mut past = fields.clone();
    past.push(("stop_at".into(), "2020-01-01T00:00".into()));
    let (status, html, _) = b.post("/experiments/welcome-offer/edit", &form_of(&past)).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("stop_at") && html.contains("in the past"), "{html}");
    let unchanged = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_eq!(unchanged.def.schedule, stored.def.schedule, "nothing was saved");
    let mut future = fields;
    future.push(("stop_at".into(), "2031-05-06T07:08".into()));
    future.push(("guardrail_action".into(), "pause".into()));
    let (status, html, _) = b.post("/experiments/welcome-offer/edit", &form_of(&future)).await;
    assert_eq!(status, 303, "{html}");
    let (_, html, _) = b.get("/experiments/welcome-offer").await;
    assert!(html.contains("stops 2031-05-06 07:08 UTC"), "shown in UTC, labelled");
    let saved = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_eq!(saved.def.stats.guardrail_action.as_str(), "pause");
}

#[tokio::test]
async fn an_admin_manages_webhooks_and_sees_their_deliveries() {
    let (_app, mut b) = logged_in("admin").await;
    let hook = Receiver::start();
    let (status, html, _) = b.get("/webhooks").await;
    assert_eq!(status, 200);
    let csrf = Browser::csrf(&html);
    let (status, html, _) = b
        .post("/webhooks", &[("csrf_token", &csrf), ("url", "ftp://nope.example/"), ("events", "experiment.srm")])
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Not created") && html.contains("The URL must start with http"), "{html}");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("url", hook.url.as_str()),
        ("format", "slack"),
        ("events", "experiment.shipped"),
        ("events", "experiment.stopped"),
    ];
    let (status, html, _) = b.post("/webhooks", &form).await;
    assert_eq!(status, 200);
    assert!(html.contains("Copy its signing secret now") && html.contains("whsec_"), "the secret, once");
    let (_, html, _) = b.get("/webhooks").await;
    assert!(!html.contains("whsec_"), "never shown again");
    assert!(html.contains("experiment.shipped, experiment.stopped") && html.contains("No deliveries yet."));
    let id = html.split("/webhooks/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let (status, html, _) = b.post(&format!("/webhooks/{id}/test"), &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Test delivery"), "{html}");
    let got = hook.wait_for(1, Duration::from_secs(10)).await;
    assert!(got[0].json()["text"].as_str().unwrap().contains("stagelab test delivery"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, html, _) = b.get("/webhooks").await;
    assert!(html.contains("<th scope=\"row\">webhook.test</th><td>delivered</td>"), "{html}");
    let (status, html, _) = b.post(&format!("/webhooks/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Webhook deleted") && html.contains("No webhooks yet."));
}

#[tokio::test]
async fn webhooks_are_for_admins() {
    let (_app, mut b) = logged_in("editor").await;
    let (status, _, _) = b.get("/webhooks").await;
    assert_eq!(status, 403);
}
