//! Shipping (CONTRACT §7): a shipped variant reaches every eligible customer (stage and
//! targeting; traffic ignored; the holdout respected), exposed or not, with no exposure stored;
//! unshipping ends it; bad requests change nothing; the CLI does the same.

use crate::support::app::assert_envelope;
use crate::support::cli::{run, stderr, stdout};
use crate::support::{edit, experiments_copy, AssignCall, TestApp};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use stagelab::assign::decide::in_holdout;
use stagelab::db::models::audit;
use stagelab::domain::key::KeyRole;

/// The app with a 20% holdout and `welcome-offer` at half traffic for customers in Japan.
async fn app() -> (TestApp, String, String) {
    let dir = experiments_copy();
    edit(dir.path(), "lifecycle.toml", crate::support::experiments::NO_HOLDOUT, "holdout = 0.2");
    edit(
        dir.path(),
        "welcome-offer.toml",
        "traffic = 1.0",
        "traffic = 0.5\ntargeting = { attribute = \"country\", op = \"eq\", value = \"JP\" }",
    );
    let app = TestApp::spawn().await;
    app.apply(dir.path()).await;
    let admin = app.create_key(KeyRole::Admin).await;
    let storefront = app.create_key(KeyRole::Storefront).await;
    (app, admin, storefront)
}

fn jp(customer: &str) -> AssignCall {
    AssignCall::new(customer).stage("reach").attributes(json!({"country": "JP"}))
}

/// The `welcome-offer` assignment in an answer, if any.
fn welcome(body: &Value) -> Option<Value> {
    body["assignments"].as_array().unwrap().iter().find(|a| a["experiment"] == "welcome-offer").cloned()
}

async fn exposures(app: &TestApp) -> i64 {
    use stagelab::db::schema::exposures::dsl::exposures;
    exposures.count().get_result(&mut app.pool.get().await.unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_shipped_variant_reaches_every_eligible_customer_without_an_exposure() {
    let (app, admin, storefront) = app().await;
    // Before: some customers are exposed, to either arm.
    let mut exposed_to_control = None;
    for i in 0..60 {
        let id = format!("old-{i}");
        let (_, body) = app.assign_raw(&storefront, &jp(&id)).await;
        if welcome(&body).is_some_and(|a| a["variant"] == "control") {
            exposed_to_control.get_or_insert(id);
        }
    }
    let exposed_to_control = exposed_to_control.expect("someone got the control");
    let stored = exposures(&app).await;
    assert!(stored > 0);

    let (status, body) =
        app.post("/api/v1/experiments/welcome-offer/ship", &admin, &json!({"variant": "welcome10"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((&body["status"], &body["ship"]), (&json!("shipped"), &json!("welcome10")), "{body}");
    assert!(body["stopped_at"].is_string(), "shipping stopped it: {body}");

    let payload = json!({"banner": "welcome", "discount_percent": 10, "message": "10% off your first order"});
    let expected = json!({"experiment": "welcome-offer", "variant": "welcome10", "payload": payload, "shipped": true});
    // An exposed customer, with and without the stage (the stored one is used).
    for call in [jp(&exposed_to_control), AssignCall::new(&exposed_to_control)] {
        let (status, body) = app.assign_raw(&storefront, &call).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(welcome(&body), Some(expected.clone()), "{body}");
    }
    // New customers: traffic no longer counts; the holdout and the targeting still do.
    let (mut served, mut held_out) = (0, 0);
    for i in 0..100 {
        let id = format!("new-{i}");
        let (_, body) = app.assign_raw(&storefront, &jp(&id)).await;
        if in_holdout(0.2, &id) {
            held_out += 1;
            assert_eq!(welcome(&body), None, "{id} is held out: {body}");
        } else {
            served += 1;
            assert_eq!(welcome(&body), Some(expected.clone()), "{id}: {body}");
        }
    }
    assert!(served > 60 && held_out > 5, "{served} served, {held_out} held out");
    let outside = AssignCall::new("new-kr").stage("reach").attributes(json!({"country": "KR"}));
    let (_, body) = app.assign_raw(&storefront, &outside).await;
    assert_eq!(welcome(&body), None, "outside the targeting: {body}");
    assert_eq!(exposures(&app).await, stored, "no exposure is stored for a shipped experiment");
    // Shipping a running experiment stops it: both are notified, in that order.
    let kinds: Vec<String> = {
        use stagelab::db::schema::notifications::dsl as n;
        let mut conn = app.pool.get().await.unwrap();
        n::notifications
            .filter(n::experiment.eq("welcome-offer"))
            .order(n::created_at.asc())
            .select(n::kind)
            .load(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(kinds, ["experiment.started", "experiment.stopped", "experiment.shipped"], "apply started it");
    let (status, report) = app.get("/api/v1/experiments/welcome-offer/results", Some(&admin)).await;
    assert_eq!(status, 200, "the report stays readable: {report}");

    let (status, body) = app.post("/api/v1/experiments/welcome-offer/unship", &admin, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((&body["status"], &body["ship"]), (&json!("stopped"), &Value::Null), "{body}");
    for id in ["new-1", "new-2", &exposed_to_control] {
        let (_, body) = app.assign_raw(&storefront, &jp(id)).await;
        assert_eq!(welcome(&body), None, "the rollout has ended: {body}");
    }
    let entries = audit::recent(&mut app.pool.get().await.unwrap(), 10).await.unwrap();
    let actions: Vec<(&str, &str)> = entries.iter().take(2).map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(actions, [("experiment.unship", "key:test"), ("experiment.ship", "key:test")]);
    assert_eq!(entries[1].after.as_ref().unwrap()["ship"], "welcome10");
}

#[tokio::test]
async fn bad_ship_requests_are_refused_and_change_nothing() {
    let (app, admin, storefront) = app().await;
    let ship = |key: &str, body: Value| {
        let path = format!("/api/v1/experiments/{key}/ship");
        let admin = admin.clone();
        let app = &app;
        async move { app.post(&path, &admin, &body).await }
    };
    let (status, body) =
        app.post("/api/v1/experiments/welcome-offer/ship", &storefront, &json!({"variant": "welcome10"})).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = ship("welcome-offer", json!({"variant": "nope"})).await;
    assert_eq!(status, 422, "{body}");
    assert_envelope(&body, "validation_failed");
    assert_eq!(body["error"]["details"][0]["field"], "variant");
    assert!(body["error"]["message"].as_str().unwrap().contains("no variant \"nope\""), "{body}");
    let (status, body) = ship("welcome-offer", json!({})).await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, body) = ship("no-such-experiment", json!({"variant": "control"})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.post("/api/v1/experiments/welcome-offer/unship", &admin, &json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not shipped"), "{body}");
    let (_, stored) = app.get("/api/v1/experiments/welcome-offer", Some(&admin)).await;
    assert_eq!((&stored["status"], &stored["ship"]), (&json!("running"), &Value::Null), "unchanged: {stored}");

    let (status, _) = ship("welcome-offer", json!({"variant": "control"})).await;
    assert_eq!(status, 200);
    let (status, body) = ship("welcome-offer", json!({"variant": "welcome10"})).await;
    assert_eq!(status, 422, "shipping twice: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("already ships \"control\""), "{body}");
    let (_, stored) = app.get("/api/v1/experiments/welcome-offer", Some(&admin)).await;
    assert_eq!(stored["ship"], "control", "unchanged: {stored}");

    // A draft never ran.
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query(
        "UPDATE experiments SET status = 'draft', started_at = NULL, stopped_at = NULL WHERE key = 'referral-reward'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let (status, body) = ship("referral-reward", json!({"variant": "control"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("draft"), "{body}");
}

#[tokio::test]
async fn the_cli_ships_and_unships() {
    let (app, admin, _) = app().await;
    let url = app.db.url().to_string();
    let out = run(&url, &["ship", "second-purchase-coupon", "coupon10"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("running → shipped"), "{}", stdout(&out));
    let (_, stored) = app.get("/api/v1/experiments/second-purchase-coupon", Some(&admin)).await;
    assert_eq!(stored["ship"], "coupon10");
    let out = run(&url, &["ship", "second-purchase-coupon", "free-shipping"], "");
    assert_eq!(out.status.code(), Some(2), "shipping twice is the user's error");
    assert!(stderr(&out).contains("already ships"), "{}", stderr(&out));
    let out = run(&url, &["unship", "second-purchase-coupon"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&url, &["unship", "second-purchase-coupon"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not shipped"), "{}", stderr(&out));
    let entries = audit::recent(&mut app.pool.get().await.unwrap(), 1).await.unwrap();
    assert!(entries[0].actor.starts_with("cli:"), "{:?}", entries[0]);
}
