//! Back-dated exposures (`"at"` on assignments, admin keys only) and `GET /api/v1/lifecycle`.

use crate::support::app::assert_envelope;
use crate::support::{AssignCall, TestApp};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use serde_json::json;
use stagelab::db::schema::exposures;
use stagelab::domain::key::KeyRole;

/// The stored exposure times of a customer.
async fn exposed_at(app: &TestApp, customer: &str) -> Vec<DateTime<Utc>> {
    let mut conn = app.pool.get().await.unwrap();
    exposures::table
        .filter(exposures::customer_id.eq(customer))
        .select(exposures::exposed_at)
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_keys_back_date_new_exposures_only() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let then = (Utc::now() - Duration::days(30)).trunc_subsecs(0);

    let old = AssignCall::new("old-1").stage("reach");
    let (status, first) = app.assign_raw(&admin, &old.clone().at(&then.to_rfc3339())).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["assignments"].as_array().unwrap().len(), 1);
    assert_eq!(exposed_at(&app, "old-1").await, [then]);

    // A returning customer keeps the first exposure and its time, whatever `at` says now.
    for again in [old.clone().at(&(then + Duration::days(3)).to_rfc3339()), old] {
        let (status, body) = app.assign_raw(&admin, &again).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["assignments"], first["assignments"]);
        assert_eq!(exposed_at(&app, "old-1").await, [then]);
    }

    // Each batch item has its own time; a few minutes ahead (clock skew) is fine.
    let soon = (Utc::now() + Duration::minutes(2)).trunc_subsecs(0);
    let customers = json!({"customers": [
        {"customer_id": "old-2", "stage": "reach", "at": "2026-01-02T03:04:05+09:00"},
        {"customer_id": "old-3", "stage": "reach", "at": soon.to_rfc3339()},
        {"customer_id": "now-4", "stage": "reach"},
    ]});
    let (status, body) = app.post("/api/v1/assignments/batch", &admin, &customers).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(exposed_at(&app, "old-2").await, ["2026-01-01T18:04:05Z".parse::<DateTime<Utc>>().unwrap()]);
    assert_eq!(exposed_at(&app, "old-3").await, [soon]);
    let now = exposed_at(&app, "now-4").await;
    assert!((Utc::now() - now[0]).num_seconds().abs() < 60, "without `at`, the database's now(): {now:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn back_dating_needs_an_admin_key_and_a_time_not_in_the_future() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let storefront = app.create_key(KeyRole::Storefront).await;
    let at = (Utc::now() - Duration::days(1)).to_rfc3339();

    let (status, body) = app.assign_raw(&storefront, &AssignCall::new("sf-1").stage("reach").at(&at)).await;
    assert_eq!(status, 403, "{body}");
    assert_envelope(&body, "forbidden");
    let batch = json!({"customers": [{"customer_id": "sf-2", "stage": "reach"},
                                      {"customer_id": "sf-3", "stage": "reach", "at": at}]});
    let (status, body) = app.post("/api/v1/assignments/batch", &storefront, &batch).await;
    assert_eq!(status, 403, "{body}");
    assert_envelope(&body, "forbidden");

    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    for bad in [future.as_str(), "yesterday", "2026-01-02 03:04:05"] {
        let (status, body) = app.assign_raw(&admin, &AssignCall::new("ad-1").stage("reach").at(bad)).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_envelope(&body, "validation_failed");
        assert_eq!(body["error"]["details"][0]["field"], "at", "{body}");
    }
    for customer in ["sf-1", "sf-2", "sf-3", "ad-1"] {
        assert!(exposed_at(&app, customer).await.is_empty(), "{customer}: nothing stored");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lifecycle_is_served_to_admin_keys() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let storefront = app.create_key(KeyRole::Storefront).await;
    let (status, body) = app.get("/api/v1/lifecycle", Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["stages"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["reach", "acquisition", "nurture", "retention", "advocacy"]);
    assert_eq!(body["stages"][1]["name"], "Acquisition");
    assert_eq!(body["rules"]["repeat_purchase"], "retention");
    assert_eq!(body["holdout"], 0.0);
    let (status, body) = app.get("/api/v1/lifecycle", Some(&storefront)).await;
    assert_eq!(status, 403);
    assert_envelope(&body, "forbidden");
}
