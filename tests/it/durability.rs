//! An acknowledged assignment is never lost: the server is killed with SIGKILL under load, and
//! every assignment a client received a 200 for is stored, and answered the same after restart.

use crate::support::cli::{serve_command, signal, spawn_serve};
use crate::support::{shipped_experiments, TestDb};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use stagelab::db::models::{api_keys, experiments};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_assignments_survive_sigkill() {
    let db = TestDb::new().await;
    let pool = db.pool();
    stagelab::apply::run(&pool, &shipped_experiments(), false, "test").await.unwrap();
    let token = stagelab::domain::key::generate(stagelab::domain::key::KeyRole::Storefront);
    let mut conn = pool.get().await.unwrap();
    let new = api_keys::NewApiKey { name: "shop", role: "storefront", prefix: &token.prefix, token_hash: &token.hash };
    api_keys::insert(&mut conn, &new).await.unwrap();

    let (mut server, url) = spawn_serve(serve_command(db.url()));
    let acknowledged: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut clients = Vec::new();
    for worker in 0..16 {
        let (client, url, token, acknowledged) =
            (client.clone(), url.clone(), token.token.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let customer = format!("d-{worker}-{n}");
                let body = json!({"customer_id": customer, "stage": "reach"});
                let Ok(response) =
                    client.post(format!("{url}/api/v1/assignments")).bearer_auth(&token).json(&body).send().await
                else {
                    break;
                };
                if response.status() != 200 {
                    continue;
                }
                let Ok(answer) = response.json::<Value>().await else { break };
                let variant = answer["assignments"][0]["variant"].as_str().unwrap().to_string();
                acknowledged.lock().unwrap().insert(customer, variant);
            }
        }));
    }
    // Kill mid-flight, once a good number of assignments were answered.
    for _ in 0..200 {
        if acknowledged.lock().unwrap().len() >= 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(&server, Signal::SIGKILL);
    server.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 500, "only {} answered", acknowledged.len());

    // Every acknowledged assignment is stored with the variant the client was given.
    let welcome = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    let ids: Vec<String> = acknowledged.keys().cloned().collect();
    let facts = stagelab::db::models::exposures::facts(&mut conn, &ids).await.unwrap();
    for (customer, variant) in &acknowledged {
        let stored = facts
            .get(customer)
            .and_then(|f| f.exposures.get(&welcome.id))
            .unwrap_or_else(|| panic!("{customer} was lost"));
        let position = welcome.variant_ids.iter().position(|id| id == stored).unwrap();
        assert_eq!(&welcome.def.variants[position].key, variant, "{customer}");
    }

    // After a restart, the same answers.
    let (mut server, url) = spawn_serve(serve_command(db.url()));
    for (customer, variant) in acknowledged.iter().take(50) {
        let body = json!({"customer_id": customer, "stage": "reach"});
        let answer: Value = client
            .post(format!("{url}/api/v1/assignments"))
            .bearer_auth(&token.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["assignments"][0]["variant"].as_str(), Some(variant.as_str()));
    }
    signal(&server, Signal::SIGTERM);
    server.wait().unwrap();
}
