//! The background watch (CONTRACT §7): schedules start and stop experiments, a guardrail that the
//! always-valid test finds worse triggers the configured action (and an A/A one does not), each
//! audited with the actor `stagelab` and notified.

use crate::support::receiver::Receiver;
use crate::support::{shipped_experiments, TestApp};
use chrono::{Duration, SecondsFormat, Utc};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use stagelab::db::models::{audit, experiments};
use stagelab::domain::key::KeyRole;
use std::time::{Duration as StdDuration, Instant};

/// An app whose watch looks every 200 ms, with the shipped lifecycle and `file` as `g.toml`.
async fn app_with(file: &str) -> (TestApp, String) {
    let app = TestApp::spawn_with(|t| t.watch_ms = 200).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(shipped_experiments().join("lifecycle.toml"), dir.path().join("lifecycle.toml")).unwrap();
    std::fs::write(dir.path().join("g.toml"), file).unwrap();
    app.apply(dir.path()).await;
    let admin = app.create_key(KeyRole::Admin).await;
    (app, admin)
}

fn file(status: &str, extra: &str, stats: &str) -> String {
    format!(
        "key = \"g\"\nname = \"Guarded\"\nstage = \"acquisition\"\ngoal = \"retention\"\nwindow_days = 30\n\
         status = \"{status}\"\n{extra}\n[[variants]]\nkey = \"control\"\nweight = 1\n\n[[variants]]\n\
         key = \"treatment\"\nweight = 1\n\n[metrics]\nprimary = \"conversion\"\nguardrails = [\"revenue\"]\n\n\
         [stats]\nmethod = \"fixed\"\ncorrection = \"none\"\n{stats}\n"
    )
}

async fn status(app: &TestApp) -> (String, Option<String>) {
    let e = experiments::find(&mut app.pool.get().await.unwrap(), "g").await.unwrap().unwrap();
    (e.def.status.to_string(), e.status_note)
}

async fn wait_for_status(app: &TestApp, wanted: &str, within: StdDuration) -> Option<String> {
    let deadline = Instant::now() + within;
    loop {
        let (now, note) = status(app).await;
        if now == wanted {
            return note;
        }
        assert!(Instant::now() < deadline, "still {now} after {within:?}, not {wanted}");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_schedule_starts_and_stops_an_experiment_audited_and_notified() {
    let at = |s| (Utc::now() + Duration::seconds(s)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let (app, admin) =
        app_with(&file("draft", &format!("start_at = \"{}\"\nstop_at = \"{}\"\n", at(2), at(5)), "")).await;
    let hook = Receiver::start();
    let events = json!({"url": hook.url, "events": ["experiment.started", "experiment.stopped"]});
    assert_eq!(app.post("/api/v1/webhooks", &admin, &events).await.0, 201);
    let note = wait_for_status(&app, "running", StdDuration::from_secs(10)).await;
    assert_eq!(note.as_deref(), Some("its scheduled start (start_at) was reached"));
    let note = wait_for_status(&app, "stopped", StdDuration::from_secs(10)).await;
    assert_eq!(note.as_deref(), Some("its scheduled stop (stop_at) was reached"));
    let got = hook.wait_for(2, StdDuration::from_secs(10)).await;
    let kinds: Vec<Value> = got.iter().map(|g| g.json()["type"].clone()).collect();
    assert_eq!(kinds, [json!("experiment.started"), json!("experiment.stopped")]);
    assert_eq!(got[1].json()["data"]["actor"], "stagelab");
    assert_eq!(got[1].json()["data"]["reason"], "its scheduled stop (stop_at) was reached");
    let entries = audit::recent(&mut app.pool.get().await.unwrap(), 2).await.unwrap();
    let seen: Vec<(&str, &str, Value)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.after.clone().unwrap()["status"].clone()))
        .collect();
    assert_eq!(
        seen,
        [("stagelab", "experiment.status", json!("stopped")), ("stagelab", "experiment.status", json!("running"))]
    );
}

/// Seeds `g` (running) with 3,000 customers per arm exposed 40 days ago; each buys (one order of
/// 100) with the arm's chance, drawn with `seed`.
async fn seed(app: &TestApp, admin: &str, seed: u64, buy: [f64; 2]) {
    let mut conn = app.pool.get().await.unwrap();
    let e = experiments::find(&mut conn, "g").await.unwrap().unwrap();
    let t0 = Utc::now() - Duration::days(40);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut events = Vec::new();
    for (arm, (prefix, variant)) in [("c", e.variant_ids[0]), ("t", e.variant_ids[1])].into_iter().enumerate() {
        diesel::sql_query(
            "INSERT INTO exposures (customer_id, experiment_id, variant_id, exposed_at) \
             SELECT $1 || i, $2, $3, $4 FROM generate_series(1, 3000) AS i",
        )
        .bind::<Text, _>(prefix)
        .bind::<BigInt, _>(e.id)
        .bind::<BigInt, _>(variant)
        .bind::<Timestamptz, _>(t0)
        .execute(&mut conn)
        .await
        .unwrap();
        for i in 1..=3000 {
            if rng.random::<f64>() < buy[arm] {
                events.push(json!({"id": format!("o-{prefix}{i}"), "customer_id": format!("{prefix}{i}"),
                    "type": "purchase", "value": 100.0, "currency": "JPY", "order_id": format!("o-{prefix}{i}"),
                    "occurred_at": (t0 + Duration::days(1)).to_rfc3339()}));
            }
        }
    }
    for chunk in events.chunks(5000) {
        app.send_events(admin, chunk).await;
    }
}

#[tokio::test]
async fn a_guardrail_stop_triggers_on_a_harmful_variant() {
    let (app, admin) = app_with(&file("running", "", "guardrail_action = \"stop\"")).await;
    let hook = Receiver::start();
    let events = json!({"url": hook.url, "events": ["experiment.guardrail", "experiment.stopped"]});
    assert_eq!(app.post("/api/v1/webhooks", &admin, &events).await.0, 201);
    seed(&app, &admin, 1, [0.30, 0.22]).await;
    let note = wait_for_status(&app, "stopped", StdDuration::from_secs(20)).await.unwrap();
    assert!(
        note.starts_with("the guardrail action stopped it: guardrail revenue is significantly worse for treatment"),
        "{note}"
    );
    let got = hook.wait_for(2, StdDuration::from_secs(10)).await;
    let guardrail = got.iter().map(|g| g.json()).find(|b| b["type"] == "experiment.guardrail").unwrap();
    assert_eq!((&guardrail["data"]["action"], &guardrail["data"]["variant"]), (&json!("stop"), &json!("treatment")));
    let entries = audit::recent(&mut app.pool.get().await.unwrap(), 5).await.unwrap();
    assert!(entries.iter().any(|e| e.actor == "stagelab" && e.action == "experiment.guardrail"), "{entries:?}");
    assert!(entries.iter().any(|e| e.actor == "stagelab" && e.action == "experiment.status"), "{entries:?}");
}

#[tokio::test]
async fn an_aa_guardrail_never_triggers_its_action() {
    for s in [11, 12, 13] {
        let (app, admin) = app_with(&file("running", "", "guardrail_action = \"stop\"")).await;
        seed(&app, &admin, s, [0.30, 0.30]).await;
        // Many passes over the same data (and the report says the guardrail is fine).
        tokio::time::sleep(StdDuration::from_secs(3)).await;
        assert_eq!(status(&app).await, ("running".to_string(), None), "seed {s}");
        let (_, results) = app.get("/api/v1/experiments/g/results", Some(&admin)).await;
        let revenue = results["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == "revenue").unwrap();
        assert_eq!(revenue["role"], "guardrail", "{revenue}");
    }
}
