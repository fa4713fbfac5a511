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
async fn an_exposure_must_name_a_variant_of_its_own_experiment() {
    use diesel::{ExpressionMethods, QueryDsl};
    use diesel_async::RunQueryDsl;
    use stagelab::db::schema::{exposures as exposures_table, variants};
    let app = TestApp::with_experiments().await;
    let mut conn = app.pool.get().await.unwrap();
    let all: Vec<(i64, i64)> =
        variants::table.select((variants::id, variants::experiment_id)).load(&mut conn).await.unwrap();
    let (variant, own) = all[0];
    let other = all.iter().map(|(_, e)| *e).find(|e| *e != own).expect("two experiments");
    let insert = |experiment_id: i64| {
        diesel::insert_into(exposures_table::table).values((
            exposures_table::customer_id.eq("fk-check"),
            exposures_table::experiment_id.eq(experiment_id),
            exposures_table::variant_id.eq(variant),
        ))
    };
    let err = insert(other).execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("exposures_variant_fkey"), "{err}");
    assert_eq!(insert(own).execute(&mut conn).await.unwrap(), 1);
    // Nor can an update point it elsewhere, or move the variant.
    let moved = diesel::update(exposures_table::table).set(exposures_table::experiment_id.eq(other));
    let err = moved.execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("exposures_variant_fkey"), "{err}");
    let moved = diesel::update(variants::table.filter(variants::id.eq(variant))).set(variants::experiment_id.eq(other));
    let err = moved.execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("cannot change"), "{err}");
    // Deleting the experiment deletes its variants and their exposures.
    diesel::delete(stagelab::db::schema::experiments::table.filter(stagelab::db::schema::experiments::id.eq(own)))
        .execute(&mut conn)
        .await
        .unwrap();
    let left: i64 = exposures_table::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(left, 0);
    // Truncating the experiments (CASCADE) empties the exposures too.
    let (variant, experiment) =
        variants::table.select((variants::id, variants::experiment_id)).first::<(i64, i64)>(&mut conn).await.unwrap();
    diesel::insert_into(exposures_table::table)
        .values((
            exposures_table::customer_id.eq("truncated"),
            exposures_table::experiment_id.eq(experiment),
            exposures_table::variant_id.eq(variant),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("TRUNCATE experiments CASCADE").execute(&mut conn).await.unwrap();
    let left: i64 = exposures_table::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(left, 0, "exposures of truncated variants stayed");
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

/// The variant key a stored exposure of `customer` to `experiment` names, written as another node
/// would: straight into the table, so this node has never seen the customer.
async fn store_elsewhere(app: &TestApp, experiment: &str, customer: &str, variant: usize) -> String {
    use diesel::ExpressionMethods;
    use diesel_async::RunQueryDsl;
    use stagelab::db::schema::exposures as table;
    let mut conn = app.pool.get().await.unwrap();
    let stored = experiments::find(&mut conn, experiment).await.unwrap().unwrap();
    diesel::insert_into(table::table)
        .values((
            table::customer_id.eq(customer),
            table::experiment_id.eq(stored.id),
            table::variant_id.eq(stored.variant_ids[variant]),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    stored.def.variants[variant].key.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exposure_stored_by_another_node_is_the_answer_when_traffic_falls_or_the_experiment_pauses() {
    // welcome-offer has no targeting and its layer to itself: a request that names the stage is
    // answered by the write alone, without reading the customer first.
    let app = TestApp::spawn().await;
    let dir = experiments_copy();
    app.apply(dir.path()).await;
    let key = app.create_key(KeyRole::Storefront).await;
    let offer = |variant: &str| vec![("welcome-offer".to_string(), variant.to_string())];
    let reach = |customer: &str| AssignCall::new(customer).stage("reach");
    let exposures_of = async |customers: &[&str]| -> i64 {
        let mut conn = app.pool.get().await.unwrap();
        let ids: Vec<String> = customers.iter().map(|c| c.to_string()).collect();
        let found = exposures::facts(&mut conn, &ids).await.unwrap();
        found.values().map(|f| f.exposures.len() as i64).sum()
    };

    // Running, full traffic: the insert finds the stored row, which wins over this node's pick.
    for (i, customer) in ["elsewhere-1", "elsewhere-2"].into_iter().enumerate() {
        let stored = store_elsewhere(&app, "welcome-offer", customer, i).await;
        assert_eq!(app.assign(&key, &reach(customer)).await, offer(&stored));
    }

    // Traffic falls to 1%: a customer outside it (99 in 100 are) keeps their stored exposure.
    edit(dir.path(), "welcome-offer.toml", "traffic = 1.0", "traffic = 0.01");
    app.apply(dir.path()).await;
    let stored = store_elsewhere(&app, "welcome-offer", "elsewhere-3", 1).await;
    assert_eq!(app.assign(&key, &reach("elsewhere-3")).await, offer(&stored));

    // Paused: stored exposures are still answered; a new customer gets nothing and stores nothing.
    edit(dir.path(), "welcome-offer.toml", "status = \"running\"", "status = \"paused\"");
    app.apply(dir.path()).await;
    let stored = store_elsewhere(&app, "welcome-offer", "elsewhere-4", 0).await;
    assert_eq!(app.assign(&key, &reach("elsewhere-4")).await, offer(&stored));
    assert_eq!(app.assign(&key, &reach("elsewhere-1")).await, offer("control"));
    assert!(app.assign(&key, &reach("never-seen")).await.is_empty());
    assert_eq!(exposures_of(&["elsewhere-1", "elsewhere-2", "elsewhere-3", "elsewhere-4", "never-seen"]).await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exposure_and_the_deletion_of_its_variant_wait_for_each_other_as_with_a_foreign_key() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::with_experiments().await;
    let mut conn = app.pool.get().await.unwrap();
    let offer = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    let (experiment, first, second) = (offer.id, offer.variant_ids[0], offer.variant_ids[1]);
    let exec = async |conn: &mut diesel_async::AsyncPgConnection, sql: String| {
        diesel::sql_query(sql).execute(conn).await.map_err(|e| e.to_string())
    };
    let insert = |customer: &str, variant: i64| {
        format!("INSERT INTO exposures (customer_id, experiment_id, variant_id) VALUES ('{customer}', {experiment}, {variant})")
    };
    let delete = |variant: i64| format!("DELETE FROM variants WHERE id = {variant}");
    let count = async |variant: i64| -> usize {
        let mut conn = app.pool.get().await.unwrap();
        let ids = vec!["first".to_string(), "second".to_string()];
        let facts = exposures::facts(&mut conn, &ids).await.unwrap();
        facts.values().filter(|f| f.exposures.values().any(|v| *v == variant)).count()
    };

    // The insert comes first: the deletion waits for its commit, then deletes the new exposure.
    let mut inserter = app.pool.get().await.unwrap();
    exec(&mut inserter, "BEGIN".into()).await.unwrap();
    exec(&mut inserter, insert("first", first)).await.unwrap();
    let deleting = tokio::spawn({
        let pool = app.pool.clone();
        async move { exec(&mut pool.get().await.unwrap(), delete(first)).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!deleting.is_finished(), "the deletion did not wait for the inserting transaction");
    exec(&mut inserter, "COMMIT".into()).await.unwrap();
    assert_eq!(deleting.await.unwrap(), Ok(1));
    assert_eq!(count(first).await, 0, "the deleted variant's exposure stayed");

    // The deletion comes first: the insert waits for its commit, then fails.
    let mut deleter = app.pool.get().await.unwrap();
    exec(&mut deleter, "BEGIN".into()).await.unwrap();
    exec(&mut deleter, delete(second)).await.unwrap();
    let inserting = tokio::spawn({
        let pool = app.pool.clone();
        let sql = insert("second", second);
        async move { exec(&mut pool.get().await.unwrap(), sql).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!inserting.is_finished(), "the insert did not wait for the deleting transaction");
    exec(&mut deleter, "COMMIT".into()).await.unwrap();
    let err = inserting.await.unwrap().unwrap_err();
    assert!(err.contains("exposures_variant_fkey"), "{err}");
    assert_eq!(count(second).await, 0);
}
