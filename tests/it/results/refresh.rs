//! Outcome rows brought up to date incrementally: the same numbers as a full rebuild, and no
//! write missed that commits after a refresh began.

use super::{expose, metric, seed, ts, Seeded};
use crate::support::TestApp;
use chrono::{Duration, Utc};
use diesel::sql_types::{Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

/// The report without the time it was generated at.
async fn report_now(app: &TestApp, admin: &str) -> Value {
    let (status, mut r) = app.get("/api/v1/experiments/coupon/results", Some(admin)).await;
    assert_eq!(status, 200, "{r}");
    r.as_object_mut().unwrap().remove("generated_at");
    r
}

#[tokio::test]
async fn incremental_refreshes_equal_a_full_rebuild() {
    let Seeded { app, admin } = seed().await;
    let before = report_now(&app, &admin).await;
    let t0 = Utc::now() - Duration::days(40);
    // New exposures and new events for customers already counted, after the first refresh.
    expose(&app, "c12", "control", t0, false).await;
    expose(&app, "t10", "coupon10", t0, false).await;
    let d = |days: i64| ts(t0 + Duration::days(days));
    let events = json!([
        {"id": "n1", "customer_id": "c5", "type": "stage", "stage": "retention", "occurred_at": d(7)},
        {"id": "n2", "customer_id": "t10", "type": "purchase", "value": 20.0, "occurred_at": d(2)},
        {"id": "n3", "customer_id": "t4", "type": "purchase", "value": 15.0, "occurred_at": d(8)},
        {"id": "n4", "customer_id": "c12", "type": "referral", "occurred_at": d(3)},
    ]);
    app.send_events(&admin, events.as_array().unwrap()).await;
    let incremental = report_now(&app, &admin).await;
    let control = &metric(&incremental, "conversion")["variants"][0];
    assert_eq!((control["n"].as_u64(), control["conversions"].as_u64()), (Some(11), Some(4)));
    assert_ne!(incremental, before);

    // Forget what was computed: the next report recomputes every customer.
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query("DELETE FROM outcome_state").execute(&mut conn).await.unwrap();
    let rebuilt = report_now(&app, &admin).await;
    assert_eq!(incremental, rebuilt);
}

#[tokio::test]
async fn a_write_that_commits_after_a_refresh_is_not_missed() {
    let Seeded { app, admin } = seed().await;
    let t0 = Utc::now() - Duration::days(40);
    let insert = "INSERT INTO events (source, event_id, customer_id, event_type, stage, occurred_at) \
                  VALUES ('test', $1, $2, 'stage', 'retention', $3)";
    // A slow writer: its transaction starts (and takes its id) first, but commits last.
    let mut slow = app.pool.get().await.unwrap();
    diesel::sql_query("BEGIN").execute(&mut slow).await.unwrap();
    diesel::sql_query(insert)
        .bind::<Text, _>("slow")
        .bind::<Text, _>("c6")
        .bind::<Timestamptz, _>(t0 + Duration::days(2))
        .execute(&mut slow)
        .await
        .unwrap();
    // A faster writer commits a later row, then a report refreshes the outcome rows.
    let mut fast = app.pool.get().await.unwrap();
    diesel::sql_query(insert)
        .bind::<Text, _>("fast")
        .bind::<Text, _>("c7")
        .bind::<Timestamptz, _>(t0 + Duration::days(2))
        .execute(&mut fast)
        .await
        .unwrap();
    let r = report_now(&app, &admin).await;
    let control = &metric(&r, "conversion")["variants"][0];
    assert_eq!(control["conversions"].as_u64(), Some(3), "the fast writer's event counts");
    diesel::sql_query("COMMIT").execute(&mut slow).await.unwrap();
    let r = report_now(&app, &admin).await;
    let control = &metric(&r, "conversion")["variants"][0];
    assert_eq!(control["conversions"].as_u64(), Some(4), "the slow writer's event counts once committed");
}
