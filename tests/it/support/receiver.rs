//! A webhook receiver on loopback: records every request it gets and answers with the statuses
//! it is scripted with (then 200), optionally after a delay.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The raw body.
    pub body: Vec<u8>,
    /// `X-Stagelab-Signature`.
    pub signature: String,
    /// `Content-Type`.
    pub content_type: String,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    delay: Duration,
    got: Vec<Received>,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:<port>/hook`.
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    /// Starts a receiver on a free loopback port, on its own thread (it outlives runtimes).
    pub fn start() -> Receiver {
        let script = Arc::new(Mutex::new(Script::default()));
        let shared = script.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                tx.send(listener.local_addr().unwrap().port()).unwrap();
                let data = actix_web::web::Data::new(shared);
                actix_web::HttpServer::new(move || {
                    actix_web::App::new().app_data(data.clone()).default_service(actix_web::web::to(handle))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run()
                .await
                .unwrap();
            });
        });
        let port = rx.recv().unwrap();
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), script }
    }

    /// Answers the next requests with these statuses, in order (200 after them).
    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().statuses = statuses.iter().copied().collect();
    }

    /// Waits this long before answering.
    pub fn delay(&self, delay: Duration) {
        self.script.lock().unwrap().delay = delay;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().got.clone()
    }

    /// Waits (up to `within`) until `n` requests have arrived; returns them all.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(std::time::Instant::now() < deadline, "{} of {n} deliveries within {within:?}", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn handle(
    script: actix_web::web::Data<Arc<Mutex<Script>>>,
    req: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
) -> actix_web::HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (status, delay) = {
        let mut s = script.lock().unwrap();
        s.got.push(Received {
            body: body.to_vec(),
            signature: header("x-stagelab-signature"),
            content_type: header("content-type"),
        });
        (s.statuses.pop_front().unwrap_or(200), s.delay)
    };
    tokio::time::sleep(delay).await;
    actix_web::HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}
