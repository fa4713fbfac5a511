//! Scale-out: two service processes behind one database behave as one service. The same customer
//! asked of both nodes at the same moment gets one exposure and the same variant from each, and
//! after a definition change (applied once, seen by both through NOTIFY) returning customers keep
//! their variants on either node.

use crate::support::cli::{serve_command, signal, spawn_serve};
use crate::support::keys::insert_key;
use crate::support::{edit, experiments_copy, TestDb};
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use stagelab::domain::key::KeyRole;
use std::collections::BTreeMap;
use std::time::Duration;

/// The variant per experiment a node answered.
async fn assign(client: &reqwest::Client, node: &str, token: &str, customer: &str) -> BTreeMap<String, String> {
    let body = json!({"customer_id": customer, "stage": "reach"});
    let response =
        client.post(format!("{node}/api/v1/assignments")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    answer["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["experiment"].as_str().unwrap().to_string(), a["variant"].as_str().unwrap().to_string()))
        .collect()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_on_one_database_agree_and_count_each_exposure_once() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let files = experiments_copy();
    stagelab::apply::run(&pool, files.path(), false, "test").await.unwrap();
    let mut conn = pool.get().await.unwrap();
    let token = insert_key(&mut conn, "shop", KeyRole::Storefront).await;

    let (mut a, node_a) = spawn_serve(serve_command(db.url()));
    let (mut b, node_b) = spawn_serve(serve_command(db.url()));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // Each new customer is asked of both nodes at once: they race for the first exposure.
    let customers: Vec<String> = (0..1000).map(|i| format!("s-{i}")).collect();
    let mut first: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for chunk in customers.chunks(50) {
        let answers = futures_util::future::join_all(chunk.iter().map(|c| {
            let (client, a, b, token) = (&client, &node_a, &node_b, &token);
            async move { (c.clone(), tokio::join!(assign(client, a, token, c), assign(client, b, token, c))) }
        }))
        .await;
        for (customer, (from_a, from_b)) in answers {
            assert_eq!(from_a, from_b, "{customer}: the two nodes disagree");
            first.insert(customer, from_a);
        }
    }
    let assigned: usize = first.values().map(BTreeMap::len).sum();
    assert!(assigned > 500, "only {assigned} assignments");
    let stored: Count = diesel::sql_query("SELECT count(*) AS n FROM exposures").get_result(&mut conn).await.unwrap();
    assert_eq!(stored.n as usize, assigned, "one exposure per customer and experiment");

    // A definition change, applied once: both nodes pick it up, and nobody moves.
    edit(files.path(), "welcome-offer.toml", "weight = 0.5", "weight = 0.9");
    edit(files.path(), "welcome-offer.toml", "weight = 0.5", "weight = 0.1");
    stagelab::apply::run(&pool, files.path(), false, "test").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, (customer, variants)) in first.iter().enumerate() {
        let node = if i % 2 == 0 { &node_b } else { &node_a };
        assert_eq!(&assign(&client, node, &token, customer).await, variants, "{customer} moved");
    }
    let after: Count = diesel::sql_query("SELECT count(*) AS n FROM exposures").get_result(&mut conn).await.unwrap();
    assert_eq!(after.n, stored.n, "returning customers add no exposures");

    // New customers now follow the new weights on both nodes (90% control).
    let (mut control, mut entered) = (0, 0);
    for i in 0..400 {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        let got = assign(&client, node, &token, &format!("n-{i}")).await;
        if let Some(variant) = got.get("welcome-offer") {
            entered += 1;
            control += usize::from(variant == "control");
        }
    }
    assert!(entered > 200, "only {entered} of 400 new customers entered welcome-offer");
    assert!(control * 100 > entered * 80, "{control} of {entered} got control after the change to 90%");

    for node in [&a, &b] {
        signal(node, Signal::SIGTERM);
    }
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
}
