//! The decision (CONTRACT §7) on seeded data: each recommendation, through the results JSON, the
//! CSV and the HTML report.

use crate::support::{shipped_experiments, TestApp};
use chrono::{Duration, Utc};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use stagelab::db::models::experiments;
use stagelab::domain::key::KeyRole;

/// One arm: exposed customers and how many of them reached the goal within the window.
struct Arm {
    exposed: i64,
    converted: usize,
}

/// An experiment `d` at acquisition judged on retention, `method` and `status` as given, with its
/// arms seeded 40 days ago (every window has ended); returns the results JSON.
async fn decided(method: &str, status: &str, control: Arm, treatment: Arm) -> (TestApp, String, Value) {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(shipped_experiments().join("lifecycle.toml"), dir.path().join("lifecycle.toml")).unwrap();
    let file = format!(
        "key = \"d\"\nname = \"Decision\"\nstage = \"acquisition\"\ngoal = \"retention\"\nwindow_days = 30\n\
         status = \"running\"\n\n[[variants]]\nkey = \"control\"\nweight = 1\n\n[[variants]]\nkey = \"treatment\"\n\
         weight = 1\n\n[metrics]\nprimary = \"conversion\"\nguardrails = [\"revenue\"]\n\n[stats]\nmethod = \"{method}\"\n\
         correction = \"none\"\n"
    );
    std::fs::write(dir.path().join("d.toml"), file).unwrap();
    app.apply(dir.path()).await;
    let admin = app.create_key(KeyRole::Admin).await;
    let t0 = Utc::now() - Duration::days(40);
    let mut conn = app.pool.get().await.unwrap();
    let e = experiments::find(&mut conn, "d").await.unwrap().unwrap();
    let mut events = Vec::new();
    for (arm, (prefix, variant_id)) in
        [control, treatment].iter().zip([("c", e.variant_ids[0]), ("t", e.variant_ids[1])])
    {
        diesel::sql_query(
            "INSERT INTO exposures (customer_id, experiment_id, variant_id, exposed_at) \
             SELECT $1 || i, $2, $3, $4 FROM generate_series(1, $5) AS i",
        )
        .bind::<Text, _>(prefix)
        .bind::<BigInt, _>(e.id)
        .bind::<BigInt, _>(variant_id)
        .bind::<Timestamptz, _>(t0)
        .bind::<BigInt, _>(arm.exposed)
        .execute(&mut conn)
        .await
        .unwrap();
        events.extend((1..=arm.converted).map(|i| {
            json!({"id": format!("{prefix}{i}"), "customer_id": format!("{prefix}{i}"), "type": "stage",
                   "stage": "retention", "occurred_at": (t0 + Duration::days(2)).to_rfc3339()})
        }));
    }
    if !events.is_empty() {
        app.send_events(&admin, &events).await;
    }
    if status != "running" {
        diesel::sql_query("UPDATE experiments SET status = $1, stopped_at = now() WHERE key = 'd'")
            .bind::<Text, _>(status)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let (code, results) = app.get("/api/v1/experiments/d/results", Some(&admin)).await;
    assert_eq!(code, 200, "{results}");
    (app, admin, results)
}

fn recommendation(results: &Value) -> (&str, &Value) {
    let d = &results["decision"];
    assert!(d["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{d}");
    (d["recommendation"].as_str().unwrap(), &d["variant"])
}

#[tokio::test]
async fn a_clear_winner_under_a_sequential_test_is_shipped_and_every_rendering_says_so() {
    let (app, admin, r) =
        decided("sequential", "running", Arm { exposed: 2000, converted: 200 }, Arm { exposed: 2000, converted: 400 })
            .await;
    assert_eq!(recommendation(&r), ("ship", &json!("treatment")));
    assert_eq!(r["decision"]["days_remaining"], Value::Null);
    let (_, csv) = app.get("/api/v1/experiments/d/results.csv", Some(&admin)).await;
    let csv = csv.as_str().unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",recommendation,recommended_variant"), "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",ship,treatment")), "{csv}");
    let (_, html) = app.get("/experiments/d/report", Some(&admin)).await;
    assert!(html.as_str().unwrap().contains("Recommendation: ship treatment"), "{html}");
}

#[tokio::test]
async fn a_clear_loser_is_rolled_back_to_the_control() {
    let (_, _, r) =
        decided("fixed", "running", Arm { exposed: 2000, converted: 400 }, Arm { exposed: 2000, converted: 200 }).await;
    assert_eq!(recommendation(&r), ("roll_back", &json!("control")));
}

#[tokio::test]
async fn a_sample_ratio_mismatch_is_investigated() {
    let (_, _, r) =
        decided("sequential", "running", Arm { exposed: 2000, converted: 200 }, Arm { exposed: 1500, converted: 300 })
            .await;
    assert_eq!(r["srm"]["mismatch"], true);
    assert_eq!(recommendation(&r), ("investigate", &Value::Null));
}

#[tokio::test]
async fn no_difference_keeps_running_before_the_planned_sample_and_is_inconclusive_once_stopped() {
    let equal = || (Arm { exposed: 1000, converted: 100 }, Arm { exposed: 1000, converted: 101 });
    let (control, treatment) = equal();
    let (_, _, running) = decided("fixed", "running", control, treatment).await;
    assert_eq!(recommendation(&running), ("keep_running", &Value::Null));
    // The estimate is the progress section's (none here: nobody was exposed in the last 7 days).
    assert_eq!(running["decision"]["days_remaining"], running["progress"]["days_remaining"]);
    let (control, treatment) = equal();
    let (_, _, stopped) = decided("fixed", "stopped", control, treatment).await;
    assert_eq!(recommendation(&stopped), ("inconclusive", &Value::Null));
}
