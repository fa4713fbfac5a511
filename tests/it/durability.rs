//! An acknowledged assignment is never lost: the server is killed with SIGKILL under load, and
//! every assignment a client received a 200 for is stored, and answered the same after restart.

use crate::support::cli::{serve_command, signal, spawn_serve};
use crate::support::writes::{assert_assignments_stored, prepare};
use crate::support::TestDb;
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_assignments_survive_sigkill() {
    let db = TestDb::new().await;
    let token = prepare(db.url()).await;
    let mut conn = db.conn().await;

    let (mut server, url) = spawn_serve(serve_command(db.url()));
    let acknowledged: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut clients = Vec::new();
    for worker in 0..16 {
        let (client, url, token, acknowledged) = (client.clone(), url.clone(), token.clone(), acknowledged.clone());
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
    assert_assignments_stored(&mut conn, &acknowledged).await;

    // After a restart, the same answers.
    let (mut server, url) = spawn_serve(serve_command(db.url()));
    for (customer, variant) in acknowledged.iter().take(50) {
        let body = json!({"customer_id": customer, "stage": "reach"});
        let answer: Value = client
            .post(format!("{url}/api/v1/assignments"))
            .bearer_auth(&token)
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
