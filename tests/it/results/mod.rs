//! Results end to end: a seeded store with known counts, through the HTTP API, the CSV, the HTML
//! report and `stagelab report`.

use crate::support::app::assert_envelope;
use crate::support::keys::insert_key;
use crate::support::{cli, shipped_experiments, TestApp};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use stagelab::db::models::experiments;
use stagelab::domain::key::KeyRole;
use stagelab::stats::{self, Mean, Proportion, Summary};

mod refresh;

const EXPERIMENT: &str = r#"
key = "coupon"
name = "Second-purchase coupon"
hypothesis = "A coupon brings first-time customers back."
stage = "acquisition"
goal = "retention"
window_days = 30
traffic = 1.0
status = "running"

[[variants]]
key = "control"
weight = 1

[[variants]]
key = "coupon10"
weight = 1

[metrics]
primary = "conversion"
secondary = ["revenue", "orders", "referral", "nurtured"]
guardrails = ["revenue"]

[[metrics.custom]]
name = "nurtured"
kind = "proportion"
event = "stage"
stage = "nurture"

[stats]
correction = "none"
"#;

struct Seeded {
    app: TestApp,
    admin: String,
}

async fn expose(app: &TestApp, customer: &str, variant: &str, at: DateTime<Utc>, is_override: bool) {
    let mut conn = app.pool.get().await.unwrap();
    let e = experiments::find(&mut conn, "coupon").await.unwrap().unwrap();
    let i = e.def.variants.iter().position(|v| v.key == variant).unwrap();
    diesel::sql_query(
        "INSERT INTO exposures (customer_id, experiment_id, variant_id, exposed_at, is_override) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<Text, _>(customer)
    .bind::<BigInt, _>(e.id)
    .bind::<BigInt, _>(e.variant_ids[i])
    .bind::<Timestamptz, _>(at)
    .bind::<Bool, _>(is_override)
    .execute(&mut conn)
    .await
    .unwrap();
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// Control: 10 mature customers (2 convert) + 2 immature + 1 QA override; coupon10: 10 mature
/// (4 convert). Events before exposure or after the window are ignored.
async fn seed() -> Seeded {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(shipped_experiments().join("lifecycle.toml"), dir.path().join("lifecycle.toml")).unwrap();
    std::fs::write(dir.path().join("coupon.toml"), EXPERIMENT).unwrap();
    app.apply(dir.path()).await;
    let admin = app.create_key(KeyRole::Admin).await;
    let now = Utc::now();
    let t0 = now - Duration::days(40);
    for i in 0..10 {
        expose(&app, &format!("c{i}"), "control", t0, false).await;
        expose(&app, &format!("t{i}"), "coupon10", t0, false).await;
    }
    expose(&app, "c10", "control", now - Duration::days(5), false).await;
    expose(&app, "c11", "control", now - Duration::days(5), false).await;
    expose(&app, "qa", "control", t0, true).await;
    let d = |days: i64| ts(t0 + Duration::days(days));
    let events = json!([
        // c0: first order long before exposure, second order in the window → retention on day 5.
        {"id": "e1", "customer_id": "c0", "type": "purchase", "value": 30.0, "order_id": "a", "occurred_at": d(-60)},
        {"id": "e2", "customer_id": "c0", "type": "purchase", "value": 100.0, "order_id": "b", "occurred_at": d(5)},
        // c1: a first order only.
        {"id": "e3", "customer_id": "c1", "type": "purchase", "value": 50.0, "occurred_at": d(3)},
        // c2: retention before exposure; c3: after the window. Neither counts.
        {"id": "e4", "customer_id": "c2", "type": "stage", "stage": "retention", "occurred_at": d(-1)},
        {"id": "e5", "customer_id": "c3", "type": "stage", "stage": "retention", "occurred_at": d(31)},
        // c4: a referral proves advocacy, beyond the goal, on day 2.
        {"id": "e6", "customer_id": "c4", "type": "referral", "referred_customer_id": "f1", "occurred_at": d(2)},
        // Immature c10 converts; the QA override converts: neither is in n.
        {"id": "e7", "customer_id": "c10", "type": "stage", "stage": "retention", "occurred_at": ts(now - Duration::days(4))},
        {"id": "e8", "customer_id": "qa", "type": "stage", "stage": "retention", "occurred_at": d(1)},
        // coupon10: t0..t3 reach retention on days 1..4, t4 only nurture.
        {"id": "e9", "customer_id": "t0", "type": "stage", "stage": "retention", "occurred_at": d(1)},
        {"id": "e10", "customer_id": "t1", "type": "stage", "stage": "retention", "occurred_at": d(2)},
        {"id": "e11", "customer_id": "t2", "type": "stage", "stage": "retention", "occurred_at": d(3)},
        {"id": "e12", "customer_id": "t3", "type": "stage", "stage": "retention", "occurred_at": d(4)},
        {"id": "e13", "customer_id": "t4", "type": "stage", "stage": "nurture", "occurred_at": d(6)},
        {"id": "e14", "customer_id": "t0", "type": "purchase", "value": 80.0, "order_id": "o-1", "occurred_at": d(1)},
    ]);
    app.send_events(&admin, events.as_array().unwrap()).await;
    // The same order again from a second source: one order, not two.
    let import = insert_key(&mut app.pool.get().await.unwrap(), "import", KeyRole::Storefront).await;
    let again = json!(
        {"id": "x1", "customer_id": "t0", "type": "purchase", "value": 80.0, "order_id": "o-1", "occurred_at": d(1)}
    );
    assert_eq!(app.send_events(&import, &[again]).await.0, 1);
    Seeded { app, admin }
}

fn metric<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == name).unwrap_or_else(|| panic!("{name}"))
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{a} is not a number"));
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}");
}

#[tokio::test]
async fn results_count_exactly_what_happened_in_the_window() {
    let Seeded { app, admin } = seed().await;
    let (status, r) = app.get("/api/v1/experiments/coupon/results", Some(&admin)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["experiment"].as_str(), r["goal"].as_str(), r["window_days"].as_i64()),
        (Some("coupon"), Some("retention"), Some(30))
    );
    assert_eq!(r["exposures"]["total"], 22);
    assert_eq!(r["exposures"]["mature"], 20);
    assert_eq!(r["exposures"]["immature"], 2);
    assert_eq!(r["srm"]["observed"], json!([12, 10]));
    assert_eq!(r["srm"]["expected"], json!([11.0, 11.0]));

    let conversion = metric(&r, "conversion");
    assert_eq!((conversion["role"].as_str(), conversion["kind"].as_str()), (Some("primary"), Some("proportion")));
    let control = &conversion["variants"][0];
    let coupon = &conversion["variants"][1];
    assert_eq!((control["n"].as_u64(), control["conversions"].as_u64()), (Some(10), Some(2)));
    assert_eq!((coupon["n"].as_u64(), coupon["conversions"].as_u64()), (Some(10), Some(4)));
    let direct = stats::analyze(
        &Summary::from(Proportion::new(10, 2).unwrap()),
        &[Summary::from(Proportion::new(10, 4).unwrap())],
        &stats::Options::default(),
    )
    .unwrap();
    let expected = direct.treatments[0].absolute.unwrap();
    close(&coupon["absolute"]["estimate"], expected.estimate);
    close(&coupon["absolute"]["p_value"], expected.p_value);
    close(&coupon["adjusted_p_value"], expected.p_value); // correction = "none"
    close(&coupon["chance_to_beat_control"], direct.treatments[0].chance_to_beat_control.unwrap());

    // Revenue: control 100 (c0's second order) + 50 (c1); coupon10 80 once, though sent twice.
    let revenue = metric(&r, "revenue");
    assert_eq!(revenue["role"], "guardrail");
    close(&revenue["variants"][0]["mean"], 15.0);
    close(&revenue["variants"][1]["mean"], 8.0);
    let direct = stats::analyze(
        &Summary::from(Mean::from_values([100.0, 50.0].into_iter().chain([0.0; 8])).unwrap()),
        &[Summary::from(Mean::from_values([80.0].into_iter().chain([0.0; 9])).unwrap())],
        &stats::Options::default(),
    )
    .unwrap();
    close(&revenue["variants"][1]["absolute"]["p_value"], direct.treatments[0].absolute.unwrap().p_value);
    let orders = metric(&r, "orders");
    close(&orders["variants"][0]["mean"], 0.2);
    close(&orders["variants"][1]["mean"], 0.1);
    let referral = metric(&r, "referral");
    assert_eq!(referral["variants"][0]["conversions"], 1);
    assert_eq!(referral["variants"][1]["conversions"], 0);
    let nurtured = metric(&r, "nurtured");
    assert_eq!(nurtured["variants"][1]["conversions"], 1);

    // Funnel after acquisition: control c0 → retention, c4 → advocacy; coupon10 t0..t3 → retention, t4 → nurture.
    assert_eq!(r["funnel"]["stages"], json!(["nurture", "retention", "advocacy"]));
    let steps = |v: usize| -> Vec<u64> {
        r["funnel"]["variants"][v]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["customers"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(steps(0), vec![2, 2, 1]);
    assert_eq!(steps(1), vec![5, 4, 0]);

    // Kaplan–Meier by hand. Control (12 customers, the override left out): c10 on day 1, c4 on
    // day 2, c0 on day 5; c11 censored on day 5 and the rest at the window's end.
    // S = 11/12 · 10/11 · 9/10 = 0.75.
    let curve = r["time_to_goal"]["variants"][0]["curve"].as_array().unwrap();
    assert_eq!(curve[0]["at_risk"], 12);
    close(&curve.last().unwrap()["survival"], 0.75);
    let events: u64 = curve.iter().map(|p| p["events"].as_u64().unwrap()).sum();
    assert_eq!(events, 3);
    // coupon10: 4 of 10 on days 1..4.
    let curve = r["time_to_goal"]["variants"][1]["curve"].as_array().unwrap();
    close(&curve.last().unwrap()["survival"], 0.6);
    assert!(r["time_to_goal"]["variants"][1]["log_rank"]["p_value"].is_number());

    assert!(r["verdicts"][0]["text"].as_str().unwrap().contains("retention rate"), "{}", r["verdicts"][0]);
    assert!(r["progress"]["daily"].as_array().unwrap().len() >= 2);
}

#[tokio::test]
async fn immature_customers_count_once_the_experiment_stops() {
    let Seeded { app, admin } = seed().await;
    let (_, running) = app.get("/api/v1/experiments/coupon/results", Some(&admin)).await;
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query("UPDATE experiments SET status = 'stopped', stopped_at = now() WHERE key = 'coupon'")
        .execute(&mut conn)
        .await
        .unwrap();
    let (_, r) = app.get("/api/v1/experiments/coupon/results", Some(&admin)).await;
    assert_eq!(r["exposures"]["mature"], 22);
    let control = &metric(&r, "conversion")["variants"][0];
    assert_eq!((control["n"].as_u64(), control["conversions"].as_u64()), (Some(12), Some(3)));
    // Time to goal still censors c11 at "now" (day 5), not at the end of a window not yet over.
    assert_eq!(r["time_to_goal"], running["time_to_goal"]);
}

#[tokio::test]
async fn a_skewed_split_raises_srm() {
    let Seeded { app, admin } = seed().await;
    let t = Utc::now() - Duration::days(40);
    for i in 0..60 {
        expose(&app, &format!("extra{i}"), "control", t, false).await;
    }
    let (_, r) = app.get("/api/v1/experiments/coupon/results", Some(&admin)).await;
    assert_eq!(r["srm"]["mismatch"], true, "{}", r["srm"]);
    assert!(r["verdicts"][0]["text"].as_str().unwrap().starts_with("SRM: do not trust these results."));
}

#[tokio::test]
async fn csv_html_and_cli_show_the_same_numbers() {
    let Seeded { app, admin } = seed().await;
    let (_, json) = app.get("/api/v1/experiments/coupon/results", Some(&admin)).await;
    let response = app
        .client
        .get(format!("{}/api/v1/experiments/coupon/results.csv", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = rows
        .records()
        .map(Result::unwrap)
        .find(|r| &r[col("metric")] == "conversion" && &r[col("variant")] == "coupon10")
        .unwrap();
    let coupon = &metric(&json, "conversion")["variants"][1];
    assert_eq!(row[col("absolute_p_value")].parse::<f64>().unwrap(), coupon["absolute"]["p_value"].as_f64().unwrap());
    assert_eq!(&row[col("n")], "10");

    let page =
        app.client.get(format!("{}/experiments/coupon/report", app.address)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Second-purchase coupon") && html.matches("<svg").count() == 4);
    let p = stagelab::analysis::format::p_value(coupon["absolute"]["p_value"].as_f64().unwrap());
    assert!(html.contains(&p), "p = {p} missing from the page");

    let out = cli::run(app.db.url(), &["report", "coupon", "--format", "json"], "");
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let from_cli: Value = serde_json::from_str(&cli::stdout(&out)).unwrap();
    assert_eq!(metric(&from_cli, "conversion")["variants"], metric(&json, "conversion")["variants"]);
    let out = cli::run(app.db.url(), &["report", "coupon"], "");
    assert!(cli::stdout(&out).contains("Sample ratio: p ="), "{}", cli::stdout(&out));
    let out = cli::run(app.db.url(), &["report", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(cli::stderr(&out).contains("no experiment with key \"nope\""));
}

#[tokio::test]
async fn results_need_an_admin_key_and_an_existing_experiment() {
    let Seeded { app, admin } = seed().await;
    let (status, body) = app.get("/api/v1/experiments/nope/results", Some(&admin)).await;
    assert_eq!(status, 404);
    assert_envelope(&body, "not_found");
    let storefront = app.create_key(KeyRole::Storefront).await;
    let (status, body) = app.get("/api/v1/experiments/coupon/results", Some(&storefront)).await;
    assert_eq!(status, 403);
    assert_envelope(&body, "forbidden");
    let (status, body) = app.get("/api/v1/experiments/coupon/results.csv", None).await;
    assert_eq!(status, 401);
    assert_envelope(&body, "unauthorized");
}

#[tokio::test]
async fn an_experiment_without_data_has_a_report() {
    let (app, admin) = TestApp::with_key(KeyRole::Admin).await;
    let (status, r) = app.get("/api/v1/experiments/second-purchase-coupon/results", Some(&admin)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["exposures"]["total"], 0);
    assert_eq!(r["verdicts"][0]["outcome"], "no_data");
    let page = app
        .client
        .get(format!("{}/experiments/second-purchase-coupon/report", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("No results yet"));
}

#[tokio::test]
async fn revenue_is_capped_at_a_percentile_of_buyers() {
    let Seeded { app, admin } = seed().await;
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query("UPDATE experiments SET stats = jsonb_set(stats, '{winsorize}', '0.6') WHERE key = 'coupon'")
        .execute(&mut conn)
        .await
        .unwrap();
    let (_, r) = app.get("/api/v1/experiments/coupon/results", Some(&admin)).await;
    // Buyers' window revenue: 50, 80, 100. The 60th percentile (linear) is 80 + 0.2 · 20 = 84, so
    // control's 100 becomes 84: (84 + 50) / 10.
    let revenue = metric(&r, "revenue");
    close(&revenue["winsorized_at"], 84.0);
    close(&revenue["variants"][0]["mean"], 13.4);
    close(&revenue["variants"][1]["mean"], 8.0);
}
