use crate::support::app::assert_envelope;
use crate::support::{shipped_experiments, TestApp};
use stagelab::domain::key::KeyRole;

#[tokio::test(flavor = "multi_thread")]
async fn admin_keys_read_definitions_and_storefront_keys_may_not() {
    let app = TestApp::spawn().await;
    stagelab::apply::run(&app.pool, &shipped_experiments(), false, "test").await.unwrap();
    let admin = app.create_key(KeyRole::Admin).await;
    let storefront = app.create_key(KeyRole::Storefront).await;

    let (status, body) = app.get("/api/v1/experiments", Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    let list = body["experiments"].as_array().unwrap();
    let keys: Vec<&str> = list.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["referral-reward", "second-purchase-coupon", "welcome-offer"]);

    let (status, one) = app.get("/api/v1/experiments/second-purchase-coupon", Some(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(one["stage"], "acquisition");
    assert_eq!(one["goal"], "retention");
    assert_eq!(one["status"], "running");
    assert_eq!(one["managed_by"], "code");
    assert_eq!(one["traffic"], 0.8);
    assert_eq!(one["variants"].as_array().unwrap().len(), 3);
    assert_eq!(one["targeting"]["all"][0]["op"], "in");
    assert!(one.get("salt").is_none(), "the salt is not part of the API");

    let (status, body) = app.get("/api/v1/experiments/none-such", Some(&admin)).await;
    assert_eq!(status, 404);
    assert_envelope(&body, "not_found");

    let (status, body) = app.get("/api/v1/experiments", Some(&storefront)).await;
    assert_eq!(status, 403);
    assert_envelope(&body, "forbidden");
}

#[tokio::test]
async fn revoked_keys_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.create_key(KeyRole::Admin).await;
    assert_eq!(app.get("/api/v1/experiments", Some(&admin)).await.0, 200);
    let mut conn = app.pool.get().await.unwrap();
    let keys = stagelab::db::models::api_keys::list(&mut conn).await.unwrap();
    assert!(stagelab::db::models::api_keys::revoke(&mut conn, keys[0].id).await.unwrap());
    // The in-memory key table follows the change notification within moments.
    let started = std::time::Instant::now();
    let (mut status, mut body) = app.get("/api/v1/experiments", Some(&admin)).await;
    while status == 200 && started.elapsed() < std::time::Duration::from_secs(10) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        (status, body) = app.get("/api/v1/experiments", Some(&admin)).await;
    }
    assert_eq!(status, 401);
    assert_envelope(&body, "unauthorized");
}
