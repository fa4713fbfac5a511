//! Faults under load: PostgreSQL stopped and started again, and SIGTERM. A client keeps sending
//! assignments and events; every write it received a 200 for must be stored, every failure must
//! be a 503 with `Retry-After`, and the service must recover on its own.

use crate::support::cli::{serve_command, signal, spawn_serve};
use crate::support::writes::{assert_assignments_stored, prepare};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use stagelab::pg::{Cluster, StartOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the clients were told.
#[derive(Default)]
struct Acknowledged {
    /// Customer → variant of `welcome-offer`, for assignments answered 200.
    assignments: HashMap<String, String>,
    /// Event ids answered 200.
    events: Vec<String>,
    /// Statuses of every other answer (a missing `Retry-After` on a 503 counts as 0).
    failures: BTreeMap<u16, usize>,
}

/// Clients that send one assignment and one single-event batch per new customer until `stop`.
fn start_load(
    url: &str,
    token: &str,
    workers: usize,
    stop: Arc<AtomicBool>,
) -> (Arc<Mutex<Acknowledged>>, Vec<tokio::task::JoinHandle<()>>) {
    let acked: Arc<Mutex<Acknowledged>> = Arc::default();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let tasks = (0..workers)
        .map(|worker| {
            let (client, url, token, acked, stop) =
                (client.clone(), url.to_string(), token.to_string(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !AtomicBool::load(&stop, Ordering::Relaxed) {
                    n += 1;
                    let customer = format!("f-{worker}-{n}");
                    let body = json!({"customer_id": customer, "stage": "reach"});
                    let sent = client.post(format!("{url}/api/v1/assignments")).bearer_auth(&token).json(&body).send();
                    let Ok(response) = sent.await else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    if let Some(answer) = ok_json(response, &acked).await {
                        let variant = answer["assignments"][0]["variant"].as_str().unwrap_or_default().to_string();
                        acked.lock().unwrap().assignments.insert(customer.clone(), variant);
                    }
                    let events = json!({"events": [{"id": customer, "customer_id": customer, "type": "stage",
                                                    "stage": "acquisition", "occurred_at": chrono::Utc::now()}]});
                    let sent = client.post(format!("{url}/api/v1/events")).bearer_auth(&token).json(&events).send();
                    let Ok(response) = sent.await else { continue };
                    if ok_json(response, &acked).await.is_some() {
                        acked.lock().unwrap().events.push(customer);
                    }
                }
            })
        })
        .collect();
    (acked, tasks)
}

/// The body of a 200; any other status is counted as a failure.
async fn ok_json(response: reqwest::Response, acked: &Mutex<Acknowledged>) -> Option<Value> {
    let status = response.status().as_u16();
    if status == 200 {
        return response.json().await.ok();
    }
    let status = if status == 503 && response.headers().get("retry-after").is_none() { 0 } else { status };
    if status != 503 {
        eprintln!("unexpected answer {status}: {}", response.text().await.unwrap_or_default());
    }
    *acked.lock().unwrap().failures.entry(status).or_default() += 1;
    None
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Every acknowledged assignment and event is stored.
async fn assert_stored(conn: &mut AsyncPgConnection, acked: &Acknowledged) {
    assert_assignments_stored(conn, &acked.assignments).await;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let stored: Count = diesel::sql_query("SELECT count(*) AS n FROM events WHERE event_id = ANY($1)")
        .bind::<diesel::sql_types::Array<Text>, _>(&acked.events)
        .get_result(conn)
        .await
        .unwrap();
    assert_eq!(stored.n as usize, acked.events.len(), "acknowledged events were lost");
}

/// A cluster of this test's own (the shared one must stay up for the other tests).
struct OwnCluster {
    dir: PathBuf,
    cluster: Option<Cluster>,
}

impl OwnCluster {
    fn start(dir: &Path) -> Cluster {
        let settings = vec![("fsync".to_string(), "off".to_string())];
        Cluster::start(dir, &StartOptions { settings, bin_dir: None }).unwrap_or_else(|e| panic!("own cluster: {e}"))
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        if let Some(cluster) = self.cluster.take() {
            let _ = cluster.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_stopped_and_started_under_load_loses_nothing_and_recovers() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("faults-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut own = OwnCluster { dir: dir.clone(), cluster: Some(OwnCluster::start(&dir)) };
    let url = own.cluster.as_ref().unwrap().default_url();
    let admin_url = own.cluster.as_ref().unwrap().url("postgres");
    let mut admin = AsyncPgConnection::establish(&admin_url).await.unwrap();
    diesel::sql_query("CREATE DATABASE stagelab").execute(&mut admin).await.unwrap();
    drop(admin);
    let token = prepare(&url).await;

    let (mut server, base) = spawn_serve(serve_command(&url));
    let client = reqwest::Client::new();
    let stop = Arc::new(AtomicBool::new(false));
    let (acked, tasks) = start_load(&base, &token, 8, stop.clone());
    wait_for("some acknowledged writes", async || acked.lock().unwrap().events.len() >= 100).await;

    // PostgreSQL goes away: not ready, and writes are refused with 503 + Retry-After.
    own.cluster.take().unwrap().stop().unwrap();
    let ready = async || client.get(format!("{base}/readyz")).send().await.map(|r| r.status().as_u16()).ok();
    wait_for("/readyz to report 503", async || ready().await == Some(503)).await;
    let before = acked.lock().unwrap().failures.get(&503).copied().unwrap_or(0);
    wait_for("writes to be refused", async || {
        acked.lock().unwrap().failures.get(&503).copied().unwrap_or(0) > before + 20
    })
    .await;
    let healthz = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(healthz.status().as_u16(), 200, "the process itself stays up");

    // It comes back: the service recovers without a restart.
    own.cluster = Some(OwnCluster::start(&dir));
    wait_for("/readyz to report 200", async || ready().await == Some(200)).await;
    let acknowledged_before = acked.lock().unwrap().assignments.len();
    wait_for("writes to succeed again", async || acked.lock().unwrap().assignments.len() > acknowledged_before + 50)
        .await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    signal(&server, Signal::SIGTERM);
    assert!(server.wait().unwrap().success());

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let unexpected: Vec<_> = acked.failures.iter().filter(|(status, _)| **status != 503).collect();
    assert!(unexpected.is_empty(), "failures other than 503 with Retry-After: {unexpected:?}");
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    assert_stored(&mut conn, &acked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_under_load_finishes_in_flight_writes_and_exits() {
    let db = crate::support::TestDb::new().await;
    let token = prepare(db.url()).await;
    let (mut server, base) = spawn_serve(serve_command(db.url()));
    let stop = Arc::new(AtomicBool::new(false));
    let (acked, tasks) = start_load(&base, &token, 16, stop.clone());
    wait_for("some acknowledged writes", async || acked.lock().unwrap().events.len() >= 200).await;

    signal(&server, Signal::SIGTERM);
    let started = std::time::Instant::now();
    let status = server.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(15), "a graceful stop took {:?}", started.elapsed());
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let unexpected: Vec<_> = acked.failures.iter().filter(|(status, _)| **status != 503).collect();
    assert!(unexpected.is_empty(), "failures other than 503 with Retry-After: {unexpected:?}");
    let mut conn = db.conn().await;
    assert_stored(&mut conn, &acked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigterm_stops_at_once() {
    use std::io::Write;
    let db = crate::support::TestDb::new().await;
    let token = prepare(db.url()).await;
    let (mut server, base) = spawn_serve(serve_command(db.url()));
    // A request in flight: its body never finishes arriving.
    let address = base.trim_start_matches("http://");
    let mut slow = std::net::TcpStream::connect(address).unwrap();
    write!(
        slow,
        "POST /api/v1/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"events\": ["
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    signal(&server, Signal::SIGTERM);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(server.try_wait().unwrap().is_none(), "the first SIGTERM waits for the request in flight");
    signal(&server, Signal::SIGTERM);
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the second SIGTERM did not stop the server");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(slow);
}
