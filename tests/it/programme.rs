//! The programme holdout (CONTRACT §9): memberships recorded once per stage with the 200, the
//! holdout's share, and the programme analysis on seeded data (immature customers left out).

use crate::support::app::assert_envelope;
use crate::support::experiments::NO_HOLDOUT;
use crate::support::{edit, experiments_copy, AssignCall, TestApp};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use stagelab::assign::decide::in_holdout;
use stagelab::db::schema::programme_members::dsl as pm;
use stagelab::domain::key::KeyRole;

/// The app with a holdout of `share`.
async fn app(share: f64) -> (TestApp, String) {
    let dir = experiments_copy();
    edit(dir.path(), "lifecycle.toml", NO_HOLDOUT, &format!("holdout = {share}"));
    let app = TestApp::spawn().await;
    app.apply(dir.path()).await;
    let admin = app.create_key(KeyRole::Admin).await;
    (app, admin)
}

async fn members(app: &TestApp, held_out: Option<bool>) -> i64 {
    let mut conn = app.pool.get().await.unwrap();
    match held_out {
        Some(h) => pm::programme_members.filter(pm::held_out.eq(h)).count().get_result(&mut conn).await.unwrap(),
        None => pm::programme_members.count().get_result(&mut conn).await.unwrap(),
    }
}

#[tokio::test]
async fn members_are_recorded_once_and_the_holdout_takes_its_share_and_nothing_else() {
    let (app, admin) = app(0.1).await;
    let n = 20_000;
    for b in 0..20 {
        let customers: Vec<Value> =
            (b * 1000..(b + 1) * 1000).map(|i| json!({"customer_id": format!("c{i}"), "stage": "reach"})).collect();
        let (status, body) = app.post("/api/v1/assignments/batch", &admin, &json!({ "customers": customers })).await;
        assert_eq!(status, 200, "{body}");
        for answer in body["results"].as_array().unwrap() {
            let id = answer["customer_id"].as_str().unwrap();
            if in_holdout(0.1, id) {
                assert_eq!(answer["assignments"], json!([]), "a held-out customer gets nothing");
            }
        }
    }
    assert_eq!(members(&app, None).await, n);
    let held = members(&app, Some(true)).await as f64;
    // χ² with one degree of freedom against 10%, below the 99.9% quantile (10.83).
    let expected = 0.1 * n as f64;
    let chi2 = (held - expected).powi(2) / expected + (held - expected).powi(2) / (n as f64 - expected);
    assert!(chi2 < 10.83, "{held} held out of {n}: χ² = {chi2}");
    // Concurrent repeats of the same customers add nothing.
    let calls = (0..200).map(|i| {
        let app = &app;
        let admin = &admin;
        async move { app.assign(admin, &AssignCall::new(&format!("c{}", i % 50)).stage("reach")).await }
    });
    futures_util::future::join_all(calls).await;
    assert_eq!(members(&app, None).await, n);
    // A stage without a running experiment records nobody.
    app.assign(&admin, &AssignCall::new("elsewhere").stage("nurture")).await;
    assert_eq!(members(&app, None).await, n);
}

/// A back-dated first visit at `reach` and, for converters, a first purchase `after_days` later.
async fn visit(app: &TestApp, admin: &str, id: &str, days_ago: i64, buys_after: Option<i64>) {
    let now = chrono::Utc::now();
    let at = (now - chrono::Duration::days(days_ago)).to_rfc3339();
    app.assign(admin, &AssignCall::new(id).stage("reach").at(&at)).await;
    if let Some(after) = buys_after {
        let when = (now - chrono::Duration::days(days_ago) + chrono::Duration::days(after)).to_rfc3339();
        let event = json!({"id": format!("{id}-buy"), "customer_id": id, "type": "purchase", "value": 50.0,
                           "order_id": format!("{id}-o1"), "occurred_at": when});
        app.send_events(admin, &[event]).await;
    }
}

#[tokio::test]
async fn seeded_groups_give_the_expected_counts_and_immature_members_wait() {
    let (app, admin) = app(0.5).await;
    // Customers first seen 100 days ago: every held-out one in four buys within 10 days, every
    // other one in two. Customers first seen 10 days ago are inside both windows: not counted.
    let (mut held, mut rest, mut held_buyers, mut rest_buyers) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..400 {
        let id = format!("m{i}");
        let holdout = in_holdout(0.5, &id);
        let buys = if holdout { i % 4 == 0 } else { i % 2 == 0 };
        visit(&app, &admin, &id, 100, buys.then_some(10)).await;
        if holdout {
            held += 1;
            held_buyers += u64::from(buys);
        } else {
            rest += 1;
            rest_buyers += u64::from(buys);
        }
    }
    for i in 0..50 {
        visit(&app, &admin, &format!("young{i}"), 10, Some(1)).await;
    }
    let (status, body) = app.get("/api/v1/programme", Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["holdout"], 0.5);
    assert_eq!(body["windows_days"], json!([30, 90]));
    let reach = body["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "reach").unwrap();
    assert_eq!(reach["holdout"]["n"].as_u64().unwrap() + reach["rest"]["n"].as_u64().unwrap(), 450);
    for window in [30, 90] {
        let m = reach["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == "reached:acquisition" && m["window_days"] == window)
            .unwrap();
        assert_eq!(m["variants"][0]["variant"], "holdout");
        assert_eq!(m["variants"][0]["n"].as_u64().unwrap(), held, "window {window}: the young ones wait");
        assert_eq!(m["variants"][0]["conversions"].as_u64().unwrap(), held_buyers);
        assert_eq!(m["variants"][1]["n"].as_u64().unwrap(), rest);
        assert_eq!(m["variants"][1]["conversions"].as_u64().unwrap(), rest_buyers);
        let relative = m["variants"][1]["relative"]["estimate"].as_f64().unwrap();
        let expected = (rest_buyers as f64 / rest as f64) / (held_buyers as f64 / held as f64) - 1.0;
        assert!((relative - expected).abs() < 1e-9, "{relative} vs {expected}");
        assert!(m["variants"][1]["absolute"]["p_value"].as_f64().unwrap() < 0.01);
    }
    let revenue = reach["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == "revenue").unwrap();
    let mean = revenue["variants"][0]["mean"].as_f64().unwrap();
    assert!((mean - 50.0 * held_buyers as f64 / held as f64).abs() < 1e-9);
    assert!(reach["summary"].as_str().unwrap().contains("more often"), "{}", reach["summary"]);
    // The CLI prints the same numbers.
    let out = crate::support::cli::run(app.db.url(), &["programme", "--format", "json"], "");
    let cli: Value = serde_json::from_str(&crate::support::cli::stdout(&out)).unwrap();
    assert_eq!(cli["stages"], body["stages"]);
    let (status, body) = app.get("/api/v1/programme", None).await;
    assert_eq!(status, 401);
    assert_envelope(&body, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_asked_at_once_record_each_member_once() {
    use crate::support::cli::{serve_command, signal, spawn_serve};
    let db = crate::support::TestDb::new().await;
    let token = crate::support::writes::prepare(db.url()).await;
    let (mut a, url_a) = spawn_serve(serve_command(db.url()));
    let (mut b, url_b) = spawn_serve(serve_command(db.url()));
    let client = reqwest::Client::new();
    let ask = |url: String, customer: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let body = json!({"customer_id": customer, "stage": "reach"});
            let r = client.post(format!("{url}/api/v1/assignments")).bearer_auth(&token).json(&body).send().await;
            let r = r.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()["assignments"].clone()
        }
    };
    for round in 0..3 {
        let calls = (0..100).map(|i| {
            let customer = format!("n{round}-{i}");
            let (one, other) = (ask(url_a.clone(), customer.clone()), ask(url_b.clone(), customer));
            async move {
                let (x, y) = tokio::join!(one, other);
                assert_eq!(x, y, "both nodes give the same answer");
            }
        });
        futures_util::future::join_all(calls).await;
    }
    let mut conn = db.conn().await;
    let rows: i64 = pm::programme_members.count().get_result(&mut conn).await.unwrap();
    assert_eq!(rows, 300, "one membership per customer at reach");
    signal(&a, nix::sys::signal::Signal::SIGTERM);
    signal(&b, nix::sys::signal::Signal::SIGTERM);
    a.wait().unwrap();
    b.wait().unwrap();
}

#[tokio::test]
async fn the_programme_page_shows_every_recorded_stage_to_any_user() {
    use crate::support::browser::{app_with_user, Browser, PASSWORD};
    let app = app_with_user("viewer").await;
    let mut b = Browser::new(&app);
    let (status, _, _) = b.get("/programme").await;
    assert_ne!(status, 200, "a login first");
    b.login("ana@example.com", PASSWORD).await;
    let (status, html, _) = b.get("/programme").await;
    assert_eq!(status, 200);
    assert!(html.contains("No customer has been recorded yet"), "{html}");
    let admin = app.create_key(KeyRole::Admin).await;
    app.assign(&admin, &AssignCall::new("p1").stage("reach")).await;
    let (status, html, _) = b.get("/programme").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"stage-reach\""), "{html}");
    assert!(html.contains("No customer at Reach is in the holdout"), "{html}");
    let (_, dashboard, _) = b.get("/").await;
    assert!(dashboard.contains("href=\"/programme\""));
}
