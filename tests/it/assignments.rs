//! `POST /api/v1/assignments` end to end: storage, stickiness, auth and validation.

use crate::support::app::{assert_envelope, read};
use crate::support::{edit, experiments_copy, AssignCall, TestApp};
use serde_json::{json, Value};
use stagelab::db::models::{experiments, exposures};
use stagelab::domain::key::KeyRole;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn assignments_are_stored_sticky_and_targeted() {
    let app = TestApp::spawn().await;
    let dir = experiments_copy();
    app.apply(dir.path()).await;
    let key = app.create_key(KeyRole::Storefront).await;

    let acquired = |customer: &str, country: &str| {
        AssignCall::new(customer).stage("acquisition").attributes(json!({ "country": country }))
    };
    // Eligible at acquisition and in targeting (JP): the coupon experiment, 80% traffic.
    let mut first = Vec::new();
    for i in 0..200 {
        let got = app.assign(&key, &acquired(&format!("c{i}"), "JP")).await;
        assert!(got.iter().all(|(e, _)| e == "second-purchase-coupon"), "{got:?}");
        first.push(got);
    }
    let entered = first.iter().filter(|g| !g.is_empty()).count();
    assert!((140..=185).contains(&entered), "about 80% enter: {entered}");
    // Outside targeting: nothing.
    assert!(app.assign(&key, &acquired("us-1", "US")).await.is_empty());
    // Another stage: that stage's experiment.
    let reach = app.assign(&key, &AssignCall::new("lead-1").stage("reach")).await;
    assert_eq!(reach.len(), 1);
    assert_eq!(reach[0].0, "welcome-offer");

    let mut conn = app.pool.get().await.unwrap();
    let coupon = experiments::find(&mut conn, "second-purchase-coupon").await.unwrap().unwrap();
    let counts = exposures::count_by_variant(&mut conn, coupon.id).await.unwrap();
    assert_eq!(counts.values().sum::<i64>() as usize, entered, "one exposure per assigned customer");

    // Weights and traffic change; every stored assignment stays, even out of targeting now.
    edit(dir.path(), "second-purchase-coupon.toml", "traffic = 0.8", "traffic = 0.3");
    edit(
        dir.path(),
        "second-purchase-coupon.toml",
        "weight = 1\npayload = { email = \"coupon\"",
        "weight = 8\npayload = { email = \"coupon\"",
    );
    app.apply(dir.path()).await;
    for (i, before) in first.iter().enumerate() {
        let again = app.assign(&key, &acquired(&format!("c{i}"), "JP")).await;
        if !before.is_empty() {
            assert_eq!(&again, before, "c{i} moved");
        }
    }
    let counts_after = exposures::count_by_variant(&mut conn, coupon.id).await.unwrap();
    assert!(counts_after.values().sum::<i64>() as usize >= entered);
    for (variant, n) in &counts {
        assert!(counts_after[variant] >= *n, "exposures are counted once and never move");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_stage_and_attributes_are_used_and_merged() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    // No stage given and none known: the first stage (reach).
    let (_, body) = app.assign_raw(&key, &AssignCall::new("new-1")).await;
    assert_eq!(body["assignments"][0]["experiment"], "welcome-offer");
    assert!(body["assignments"][0]["payload"].is_object());

    // Attributes given once are remembered and merged, never overwritten wholesale.
    for attributes in [json!({"country": "JP", "plan": "free"}), json!({"plan": "pro"})] {
        app.assign(&key, &AssignCall::new("m-1").stage("reach").attributes(attributes)).await;
    }
    let mut conn = app.pool.get().await.unwrap();
    let facts = exposures::facts(&mut conn, &["m-1".to_string()]).await.unwrap();
    assert_eq!(Value::Object(facts["m-1"].attributes.clone()), json!({"country": "JP", "plan": "pro"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_requests_for_one_customer_agree() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    for i in 0..20 {
        let call = AssignCall::new(&format!("race-{i}")).stage("reach");
        let requests = (0..8).map(|_| app.assign(&key, &call));
        let answers = futures_util::future::join_all(requests).await;
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    }
    let mut conn = app.pool.get().await.unwrap();
    let welcome = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_eq!(exposures::count_by_variant(&mut conn, welcome.id).await.unwrap().values().sum::<i64>(), 20);
    // The metric counts first exposures, not the 160 answers.
    let (_, metrics) = app.get("/metrics", None).await;
    let counted: f64 = metrics
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("stagelab_exposures_total{experiment=\"welcome-offer\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(counted, 20.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_batch_form_assigns_many_and_filters() {
    let (app, key) = TestApp::with_key(KeyRole::Admin).await;
    let customers: Vec<Value> = (0..300)
        .map(|i| json!({"customer_id": format!("b{i}"), "stage": "reach", "experiments": ["welcome-offer"]}))
        .collect();
    let (status, body) = app.post("/api/v1/assignments/batch", &key, &json!({"customers": customers})).await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 300);
    assert!(results.iter().all(|r| r["assignments"].as_array().unwrap().len() == 1));
    // Same answers one by one.
    for r in results.iter().take(20) {
        let got = app.assign(&key, &AssignCall::new(r["customer_id"].as_str().unwrap()).stage("reach")).await;
        assert_eq!(got[0].1, r["assignments"][0]["variant"].as_str().unwrap());
    }
    let (status, _) = app.assign_raw(&key, &AssignCall::new("f").stage("reach").experiments(&["other"])).await;
    assert_eq!(status, 200);

    let too_many: Vec<Value> = (0..1001).map(|i| json!({"customer_id": format!("x{i}")})).collect();
    let (status, body) = app.post("/api/v1/assignments/batch", &key, &json!({"customers": too_many})).await;
    assert_eq!(status, 413);
    assert_envelope(&body, "batch_too_large");
    let (status, body) = app.post("/api/v1/assignments/batch", &key, &json!({"customers": []})).await;
    assert_eq!(status, 422);
    assert_envelope(&body, "validation_failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_and_bad_requests_get_the_envelope() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let url = format!("{}/api/v1/assignments", app.address);
    let body = json!({"customer_id": "c"});

    let (status, answer) = read(app.client.post(&url).json(&body).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_envelope(&answer, "unauthorized");
    let (status, answer) = app.assign_raw("slk_sf_wrong", &body).await;
    assert_eq!(status, 401);
    assert_envelope(&answer, "unauthorized");
    // A storefront key may assign but not read the management API.
    let (status, answer) = app.get("/api/v1/experiments", Some(&key)).await;
    assert_eq!(status, 403);
    assert_envelope(&answer, "forbidden");

    let cases = [
        (json!({"customer_id": ""}), "customer_id"),
        (json!({"customer_id": "x".repeat(201)}), "customer_id"),
        (json!({"customer_id": "c", "stage": "loyalty"}), "stage"),
        (json!({"customer_id": "c", "attributes": {"nested": {"a": 1}}}), "attributes"),
        (json!({"customer_id": "c", "segment": ""}), "segment"),
        (json!({"customer_id": "c", "experiments": [""]}), "experiments"),
        (json!({"customer_id": "a\u{0}b"}), ""),
        (json!({"customer_id": "c", "attributes": {"x": "\u{0}"}}), ""),
    ];
    for (request, field) in cases {
        let (status, answer) = app.assign_raw(&key, &request).await;
        assert_eq!(status, 422, "{request}");
        assert_envelope(&answer, "validation_failed");
        assert_eq!(answer["error"]["details"][0]["field"], field, "{answer}");
    }
    for request in [json!({"customer": "c"}), json!({"customer_id": 5}), json!({"customer_id": "c", "colour": 1})] {
        let (status, answer) = app.assign_raw(&key, &request).await;
        assert_eq!(status, 422, "{request}");
        assert_envelope(&answer, "validation_failed");
    }
    let mut conn = app.pool.get().await.unwrap();
    let welcome = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert!(exposures::count_by_variant(&mut conn, welcome.id).await.unwrap().is_empty(), "nothing stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn overrides_are_flagged_and_revoked_keys_stop_working() {
    let app = TestApp::spawn().await;
    let dir = experiments_copy();
    let text = std::fs::read_to_string(dir.path().join("welcome-offer.toml")).unwrap();
    std::fs::write(dir.path().join("welcome-offer.toml"), format!("{text}\n[overrides]\nqa-anna = \"welcome10\"\n"))
        .unwrap();
    app.apply(dir.path()).await;
    let key = app.create_key(KeyRole::Storefront).await;
    let (_, body) = app.assign_raw(&key, &AssignCall::new("qa-anna").stage("retention")).await;
    let forced: Vec<&Value> =
        body["assignments"].as_array().unwrap().iter().filter(|a| a["experiment"] == "welcome-offer").collect();
    assert_eq!(forced.len(), 1, "{body}");
    assert_eq!(forced[0]["variant"], "welcome10");
    assert_eq!(forced[0]["override"], true);
    let (_, normal) = app.assign_raw(&key, &AssignCall::new("someone").stage("reach")).await;
    assert!(normal["assignments"][0].get("override").is_none());

    let mut conn = app.pool.get().await.unwrap();
    let keys = stagelab::db::models::api_keys::list(&mut conn).await.unwrap();
    stagelab::db::models::api_keys::revoke(&mut conn, keys[0].id).await.unwrap();
    let started = Instant::now();
    loop {
        let (status, _) = app.assign_raw(&key, &AssignCall::new("c")).await;
        if status == 401 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "a revoked key kept working");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_experiment_reaches_customers_answered_before() {
    let app = TestApp::spawn().await;
    let dir = experiments_copy();
    app.apply(dir.path()).await;
    let key = app.create_key(KeyRole::Storefront).await;
    let known = AssignCall::new("known-1").stage("reach");
    for _ in 0..3 {
        assert_eq!(app.assign(&key, &known).await.len(), 1);
    }
    let text = std::fs::read_to_string(dir.path().join("welcome-offer.toml")).unwrap();
    let second =
        text.replace("key = \"welcome-offer\"", "key = \"welcome-banner\"").replace("layer = \"onboarding\"\n", "");
    std::fs::write(dir.path().join("welcome-banner.toml"), second).unwrap();
    app.apply(dir.path()).await;
    let got = app.assign(&key, &known).await;
    let experiments: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(experiments, ["welcome-banner", "welcome-offer"]);
    // Changed attributes are stored even for a customer answered from memory before.
    app.assign(&key, &known.attributes(json!({"vip": true}))).await;
    let mut conn = app.pool.get().await.unwrap();
    let facts = exposures::facts(&mut conn, &["known-1".to_string()]).await.unwrap();
    assert_eq!(facts["known-1"].attributes.get("vip"), Some(&json!(true)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_named_twice_in_a_batch_is_one_first_exposure_and_counted_once() {
    let (app, key) = TestApp::with_key(KeyRole::Storefront).await;
    let body =
        json!({"customers": [{"customer_id": "twice", "stage": "reach"}, {"customer_id": "twice", "stage": "reach"}]});
    let (status, answer) = app.post("/api/v1/assignments/batch", &key, &body).await;
    assert_eq!(status, 200, "{answer}");
    let variants: Vec<&Value> =
        answer["results"].as_array().unwrap().iter().map(|r| &r["assignments"][0]["variant"]).collect();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0], variants[1]);
    let (_, metrics) = app.get("/metrics", None).await;
    let counted: u64 = metrics
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("stagelab_exposures_total{") && l.contains("welcome-offer"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(counted, 1, "one first exposure stored, and counted");
}
