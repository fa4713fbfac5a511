//! `POST /api/v1/events` end to end: all or nothing, idempotent, and the lifecycle it moves.

use crate::support::app::assert_envelope;
use crate::support::{AssignCall, TestApp};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use stagelab::db::schema::{customers, events};
use stagelab::domain::key::KeyRole;

fn stage(id: &str, customer: &str, stage: &str, at: &str) -> Value {
    json!({"id": id, "customer_id": customer, "type": "stage", "stage": stage, "occurred_at": at})
}

fn purchase(id: &str, customer: &str, value: f64, at: &str) -> Value {
    json!({"id": id, "customer_id": customer, "type": "purchase", "value": value, "currency": "JPY", "occurred_at": at})
}

fn referral(id: &str, customer: &str, at: &str) -> Value {
    json!({"id": id, "customer_id": customer, "type": "referral", "referred_customer_id": "friend", "occurred_at": at})
}

async fn stored_events(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().await.unwrap();
    events::table.count().get_result(&mut conn).await.unwrap()
}

async fn customer_stage(app: &TestApp, customer: &str) -> (Option<String>, Option<chrono::DateTime<chrono::Utc>>) {
    let mut conn = app.pool.get().await.unwrap();
    customers::table
        .filter(customers::customer_id.eq(customer))
        .select((customers::stage, customers::stage_reached_at))
        .first(&mut conn)
        .await
        .unwrap()
}

/// Asserts a customer's stored stage and when it was reached (RFC 3339, UTC).
async fn assert_stage(app: &TestApp, customer: &str, stage: &str, at: &str) {
    let (stage_now, reached) = customer_stage(app, customer).await;
    assert_eq!(
        (stage_now.as_deref(), reached.map(|t| t.to_rfc3339())),
        (Some(stage), Some(at.to_string())),
        "{customer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_are_stored_once_and_retries_count_as_duplicates() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let batch = json!({"events": [
        stage("e1", "c1", "reach", "2026-11-01T10:00:00Z"),
        purchase("e2", "c1", 42.5, "2026-11-02T10:00:00Z"),
        referral("e3", "c1", "2026-11-03T10:00:00Z"),
        stage("e1", "c1", "reach", "2026-11-01T10:00:00Z"),
    ]});
    let (status, body) = app.send_events_raw(&key, &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"accepted": 3, "duplicates": 1}));
    let (_, again) = app.send_events_raw(&key, &batch).await;
    assert_eq!(again, json!({"accepted": 0, "duplicates": 4}));
    assert_eq!(stored_events(&app).await, 3);

    // Ids are unique per source: another storefront may reuse them.
    let other = app.create_key(KeyRole::Storefront).await;
    let mut conn = app.pool.get().await.unwrap();
    let keys = stagelab::db::models::api_keys::list(&mut conn).await.unwrap();
    diesel::update(stagelab::db::schema::api_keys::table.filter(stagelab::db::schema::api_keys::id.eq(keys[0].id)))
        .set(stagelab::db::schema::api_keys::name.eq("second-shop"))
        .execute(&mut conn)
        .await
        .unwrap();
    app.wait_for_key_name(&other, "second-shop").await;
    let (_, body) =
        app.send_events_raw(&other, &json!({"events": [stage("e1", "c9", "reach", "2026-11-01T10:00:00Z")]})).await;
    assert_eq!(body, json!({"accepted": 1, "duplicates": 0}));
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_retries_count_once() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let events: Vec<Value> =
        (0..200).map(|i| purchase(&format!("r{i}"), &format!("c{}", i % 20), 10.0, "2026-11-02T10:00:00Z")).collect();
    let answers = futures_util::future::join_all((0..8).map(|_| app.send_events(&key, &events))).await;
    let accepted: u64 = answers.iter().map(|(accepted, _)| accepted).sum();
    let duplicates: u64 = answers.iter().map(|(_, duplicates)| duplicates).sum();
    assert_eq!((accepted, duplicates), (200, 7 * 200));
    assert_eq!(stored_events(&app).await, 200);
    assert_eq!(customer_stage(&app, "c3").await.0.as_deref(), Some("retention"), "ten purchases each");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_invalid_event_rejects_the_whole_batch_with_every_problem() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let batch = json!({"events": [
        stage("ok-1", "c1", "reach", "2026-11-01T10:00:00Z"),
        {"id": "bad-1", "customer_id": "c1", "type": "purchase", "occurred_at": "2026-11-01T10:00:00Z"},
        stage("bad-2", "c1", "loyalty", "not a time"),
    ]});
    let (status, body) = app.send_events_raw(&key, &batch).await;
    assert_eq!(status, 422);
    assert_envelope(&body, "validation_failed");
    let details: Vec<(i64, &str)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["index"].as_i64().unwrap(), d["field"].as_str().unwrap()))
        .collect();
    assert_eq!(details, vec![(1, "value"), (2, "occurred_at"), (2, "stage")]);
    assert_eq!(stored_events(&app).await, 0, "nothing of the batch is stored");

    let (_, metrics) = app.get("/metrics", None).await;
    assert!(metrics.as_str().unwrap().contains(r#"stagelab_events_rejected_total{reason="missing"} 1"#));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_customer_stage_is_the_furthest_reached() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let send = async |events: &[Value]| app.send_events(&key, events).await;
    send(&[stage("s1", "c1", "reach", "2026-11-01T10:00:00Z"), stage("s2", "c1", "nurture", "2026-11-05T10:00:00Z")])
        .await;
    let (stage_now, at) = customer_stage(&app, "c1").await;
    assert_eq!(stage_now.as_deref(), Some("nurture"));
    assert_eq!(at.unwrap().to_rfc3339(), "2026-11-05T10:00:00+00:00");
    // A late event for an earlier stage does not move the customer back.
    send(&[stage("s3", "c1", "acquisition", "2026-11-03T10:00:00Z")]).await;
    assert_eq!(customer_stage(&app, "c1").await.0.as_deref(), Some("nurture"));
    // A later stage does; reaching it earlier than first recorded moves the time back.
    send(&[
        stage("s4", "c1", "retention", "2026-11-09T10:00:00Z"),
        stage("s5", "c1", "retention", "2026-11-07T10:00:00Z"),
    ])
    .await;
    assert_stage(&app, "c1", "retention", "2026-11-07T10:00:00+00:00").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn purchases_alone_give_a_lifecycle_that_assignment_uses() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let send = async |events: &[Value]| app.send_events(&key, events).await;
    send(&[purchase("p1", "buyer", 30.0, "2026-11-02T10:00:00Z")]).await;
    assert_eq!(customer_stage(&app, "buyer").await.0.as_deref(), Some("acquisition"));
    // Without a stage in the request, assignment uses the stored one.
    let got = app.assign(&key, &AssignCall::new("buyer").attributes(json!({"country": "JP"}))).await;
    assert!(got.iter().all(|(e, _)| e == "second-purchase-coupon"), "{got:?}");

    // The same order again (as an import under another id would send it) is not a second purchase.
    let mut same_order = purchase("p1-again", "buyer", 30.0, "2026-11-02T10:00:00Z");
    same_order["order_id"] = json!("o-1");
    let mut first_order = purchase("p1b", "buyer", 30.0, "2026-11-02T10:00:00Z");
    first_order["order_id"] = json!("o-1");
    send(&[first_order, same_order]).await;
    assert_eq!(
        customer_stage(&app, "buyer").await.0.as_deref(),
        Some("retention"),
        "p1 (no order id) and o-1 are two orders"
    );
    let mut only_once = purchase("q1", "single", 30.0, "2026-11-02T10:00:00Z");
    only_once["order_id"] = json!("o-9");
    let mut replayed = purchase("q1-import", "single", 30.0, "2026-11-02T10:00:00Z");
    replayed["order_id"] = json!("o-9");
    send(&[only_once, replayed]).await;
    assert_eq!(
        customer_stage(&app, "single").await.0.as_deref(),
        Some("acquisition"),
        "one order sent twice is one purchase"
    );

    send(&[purchase("p2", "buyer", 55.0, "2026-11-12T10:00:00Z")]).await;
    assert_eq!(customer_stage(&app, "buyer").await.0.as_deref(), Some("retention"));
    send(&[referral("f1", "buyer", "2026-11-15T10:00:00Z")]).await;
    assert_stage(&app, "buyer", "advocacy", "2026-11-15T10:00:00+00:00").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_limits_and_credentials() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let too_many: Vec<Value> =
        (0..10_001).map(|i| stage(&format!("x{i}"), "c", "reach", "2026-11-01T10:00:00Z")).collect();
    let (status, body) = app.send_events_raw(&key, &json!({"events": too_many})).await;
    assert_eq!(status, 413);
    assert_envelope(&body, "batch_too_large");
    let (status, body) = app.send_events_raw(&key, &json!({"events": []})).await;
    assert_eq!(status, 422);
    assert_envelope(&body, "validation_failed");
    let (status, body) = app.send_events_raw(&key, &json!({"event": []})).await;
    assert_eq!(status, 422);
    assert_envelope(&body, "validation_failed");
    let (status, body) =
        app.send_events_raw("nope", &json!({"events": [stage("a", "c", "reach", "2026-11-01T10:00:00Z")]})).await;
    assert_eq!(status, 401);
    assert_envelope(&body, "unauthorized");
    // The largest batch allowed goes through in one piece.
    let max: Vec<Value> = (0..10_000)
        .map(|i| purchase(&format!("m{i}"), &format!("c{}", i % 500), 5.0, "2026-11-01T10:00:00Z"))
        .collect();
    assert_eq!(app.send_events(&key, &max).await.0, 10_000);
}

/// A random history of 30 customers: stage events, purchases (some repeating an order id, some
/// without one) and referrals, about three events per minute (so that some times are equal).
fn random_history(seed: u64, n: usize) -> Vec<Value> {
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut minutes: Vec<i64> = (0..n as i64).collect();
    minutes.shuffle(&mut rng);
    let start: chrono::DateTime<chrono::Utc> = "2026-10-01T00:00:00Z".parse().unwrap();
    let stages = ["reach", "acquisition", "nurture", "retention", "advocacy"];
    (0..n)
        .map(|i| {
            let at = (start + chrono::Duration::minutes(minutes[i] / 3)).to_rfc3339();
            let customer = format!("h{}", rng.random_range(0..30));
            let id = format!("h-{seed}-{i}");
            match rng.random_range(0..10) {
                0..=2 => stage(&id, &customer, stages[rng.random_range(0..stages.len())], &at),
                3..=8 => {
                    let mut p = purchase(&id, &customer, 10.0, &at);
                    if rng.random_bool(0.6) {
                        p["order_id"] = json!(format!("o{}", rng.random_range(0..12)));
                    }
                    p
                }
                _ => referral(&id, &customer, &at),
            }
        })
        .collect()
}

/// What every customer's stored events prove, computed from the `events` table one event at a
/// time, and what each customer's row says.
async fn evidence_and_stages(
    app: &TestApp,
) -> (
    std::collections::BTreeMap<String, stagelab::events::progress::Evidence>,
    std::collections::BTreeMap<String, (Value, Option<String>, Option<chrono::DateTime<chrono::Utc>>)>,
) {
    use stagelab::events::progress::Evidence;
    let mut conn = app.pool.get().await.unwrap();
    type Row = (String, String, String, String, Option<String>, Option<String>, chrono::DateTime<chrono::Utc>);
    let rows: Vec<Row> = events::table
        .select((
            events::source,
            events::event_id,
            events::customer_id,
            events::event_type,
            events::stage,
            events::order_id,
            events::occurred_at,
        ))
        .load(&mut conn)
        .await
        .unwrap();
    let mut expected: std::collections::BTreeMap<String, Evidence> = Default::default();
    for (source, id, customer, kind, stage, order, at) in rows {
        let e = expected.entry(customer).or_default();
        match kind.as_str() {
            "stage" => e.add_stage(&stage.unwrap(), at),
            "purchase" => e.add_purchase(&order.unwrap_or(format!("{source}:{id}")), at),
            _ => e.add_referral(at),
        }
    }
    let stored = customers::table
        .select((customers::customer_id, customers::evidence, customers::stage, customers::stage_reached_at))
        .load::<(String, Value, Option<String>, Option<chrono::DateTime<chrono::Utc>>)>(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, evidence, stage, at)| (id, (evidence, stage, at)))
        .collect();
    (expected, stored)
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_batches_leave_every_customer_as_all_their_events_prove() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let lifecycle = app.cache.snapshot().lifecycle.clone();
    // Eight overlapping batches at once, then eight more (summaries then exist and are merged into).
    for round in 0..2 {
        let history = random_history(round, 800);
        let batches: Vec<Vec<Value>> = (0..8).map(|b| history.iter().skip(b).step_by(8).cloned().collect()).collect();
        futures_util::future::join_all(batches.iter().map(|b| app.send_events(&key, b))).await;
    }
    let (expected, stored) = evidence_and_stages(&app).await;
    assert_eq!(expected.len(), 30);
    assert_eq!(stored.len(), 30);
    for (customer, evidence) in &expected {
        let (summary, stage, at) = &stored[customer];
        let summary: stagelab::events::progress::Evidence = serde_json::from_value(summary.clone()).unwrap();
        assert_eq!(&summary, evidence, "{customer}");
        let proven = stagelab::events::progress::furthest(&lifecycle, evidence).unwrap();
        assert_eq!((stage.clone(), *at), (Some(proven.0), Some(proven.1)), "{customer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migration_summarises_events_stored_before_it_as_ingestion_does() {
    use diesel_async::SimpleAsyncConnection;
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let history = random_history(7, 600);
    app.send_events(&key, &history).await;
    let (_, ingested) = evidence_and_stages(&app).await;
    // Undo the summaries and build them again from the events, as an upgrade does.
    let mut conn = app.pool.get().await.unwrap();
    conn.batch_execute(include_str!("../../migrations/2026-11-25-000004_evidence/down.sql")).await.unwrap();
    conn.batch_execute(include_str!("../../migrations/2026-11-25-000004_evidence/up.sql")).await.unwrap();
    drop(conn);
    let (expected, migrated) = evidence_and_stages(&app).await;
    assert_eq!(migrated.len(), 30);
    for (customer, (summary, _, _)) in &migrated {
        let parsed: stagelab::events::progress::Evidence = serde_json::from_value(summary.clone()).unwrap();
        assert_eq!(&parsed, &expected[customer], "{customer}");
        let by_ingestion: stagelab::events::progress::Evidence =
            serde_json::from_value(ingested[customer].0.clone()).unwrap();
        assert_eq!(parsed, by_ingestion, "{customer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn event_batches_and_assignments_for_the_same_new_customers_do_not_deadlock() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    // Both writers take the customers they create or change in id order, in one statement each.
    for round in 0..3 {
        let customers: Vec<String> = (0..300).rev().map(|i| format!("d{round}-{i:03}")).collect();
        let assign = json!({"customers": customers.iter().map(|c| json!({
            "customer_id": c, "stage": "reach", "attributes": {"country": "JP", "round": round}
        })).collect::<Vec<_>>()});
        let batches: Vec<Vec<Value>> = (0..4)
            .map(|b| {
                let day = format!("2026-11-0{}T10:00:00Z", b + 1);
                customers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| purchase(&format!("d{round}-{b}-{i}"), c, 5.0, &day))
                    .collect()
            })
            .collect();
        let events = futures_util::future::join_all(batches.iter().map(|b| app.send_events(&key, b)));
        let assignments =
            futures_util::future::join_all((0..4).map(|_| app.post("/api/v1/assignments/batch", &key, &assign)));
        let (_, assignments) = tokio::join!(events, assignments);
        for (status, body) in &assignments {
            assert_eq!(*status, 200, "{body}");
        }
        // Four purchases each (days 1 to 4): retention since the second, on day 2.
        assert_stage(&app, &customers[0], "retention", "2026-11-02T10:00:00+00:00").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_summary_is_rebuilt_from_the_events_and_never_moves_a_customer_back() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let batch = [purchase("u1", "u", 10.0, "2026-11-01T10:00:00Z"), purchase("u2", "u", 10.0, "2026-11-03T10:00:00Z")];
    app.send_events(&key, &batch).await;
    assert_eq!(customer_stage(&app, "u").await.0.as_deref(), Some("retention"));
    let mut conn = app.pool.get().await.unwrap();
    diesel::update(customers::table.filter(customers::customer_id.eq("u")))
        .set(customers::evidence.eq(json!({"orders": "not a list"})))
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    // A third purchase alone would say "acquisition"; rebuilt from all events it stays retention.
    app.send_events(&key, &[purchase("u3", "u", 10.0, "2026-11-05T10:00:00Z")]).await;
    assert_stage(&app, "u", "retention", "2026-11-03T10:00:00+00:00").await;
    let (expected, stored) = evidence_and_stages(&app).await;
    let summary: stagelab::events::progress::Evidence = serde_json::from_value(stored["u"].0.clone()).unwrap();
    assert_eq!(summary, expected["u"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn times_are_kept_to_the_microsecond_and_an_absorbed_event_writes_nothing() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    app.send_events(&key, &[stage("n1", "n", "nurture", "2026-11-01T10:00:00.123456789Z")]).await;
    let (_, at) = customer_stage(&app, "n").await;
    assert_eq!(at.unwrap().to_rfc3339(), "2026-11-01T10:00:00.123456+00:00");
    let updated_at = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            let mut conn = pool.get().await.unwrap();
            customers::table
                .filter(customers::customer_id.eq("n"))
                .select(customers::updated_at)
                .first::<chrono::DateTime<chrono::Utc>>(&mut conn)
                .await
                .unwrap()
        }
    };
    let before = updated_at(&app).await;
    // The same stage again, later: already proven earlier, so the customer row is not rewritten.
    app.send_events(&key, &[stage("n2", "n", "nurture", "2026-11-02T10:00:00.5Z")]).await;
    assert_eq!(updated_at(&app).await, before);
    let (expected, stored) = evidence_and_stages(&app).await;
    let summary: stagelab::events::progress::Evidence = serde_json::from_value(stored["n"].0.clone()).unwrap();
    assert_eq!(summary, expected["n"], "the summary holds what the table holds");
}
