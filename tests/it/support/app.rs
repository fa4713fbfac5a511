//! The real application on port 0 against a test database, and plain HTTP calls to it. Typed
//! storefront calls are in [`super::api`], waiting for its cache in [`super::cache`].

use super::keys::insert_key;
use super::{shipped_experiments, TestDb};
use serde::Serialize;
use serde_json::Value;
use stagelab::config::Config;
use stagelab::startup::Application;

/// A running app with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The app's database.
    pub db: TestDb,
    /// A pool on it, for setting up and checking data.
    pub pool: stagelab::db::Pool,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// The app's in-memory definitions.
    pub cache: std::sync::Arc<stagelab::assign::ConfigCache>,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// Starts the app on a fresh database. Failed webhook deliveries are retried after 100 ms
    /// (then doubling), not 5 s.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// [`TestApp::spawn`] with tunables changed by `tune` (e.g. a faster background watch).
    pub async fn spawn_with(tune: impl FnOnce(&mut stagelab::config::Tunables)) -> TestApp {
        let db = TestDb::new().await;
        let mut config = Config::for_database_url(db.url());
        config.tunables.webhook_retry_ms = 100;
        tune(&mut config.tunables);
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.workers = Some(1);
        config.migrate = false;
        let pool = db.pool();
        let app = Application::build(&config, pool.clone(), db.url()).await.unwrap();
        let cache = app.state().cache.clone();
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp { address, db, pool, client: reqwest::Client::new(), cache, handle }
    }

    /// Starts the app with the shipped experiments applied (and in its snapshot).
    pub async fn with_experiments() -> TestApp {
        let app = TestApp::spawn().await;
        app.apply(&shipped_experiments()).await;
        app
    }

    /// [`TestApp::with_experiments`] and a key of `role`; returns the app and the key's token.
    pub async fn with_key(role: stagelab::domain::key::KeyRole) -> (TestApp, String) {
        let app = TestApp::with_experiments().await;
        let key = app.create_key(role).await;
        (app, key)
    }

    /// GET a path; returns status and body (JSON, or the text as a JSON string).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        read(req.send().await.unwrap()).await
    }

    /// POSTs JSON to a path with a key; returns status and body (as [`TestApp::get`]).
    pub async fn post(&self, path: &str, token: &str, body: &impl Serialize) -> (u16, Value) {
        let request = self.client.post(format!("{}{path}", self.address)).bearer_auth(token).json(body);
        read(request.send().await.unwrap()).await
    }

    /// Creates an API key named `test` directly in the database; returns its token. The app
    /// knows it once [`TestApp::wait_for_key_name`] says so.
    pub async fn create_key(&self, role: stagelab::domain::key::KeyRole) -> String {
        insert_key(&mut self.pool.get().await.unwrap(), "test", role).await
    }
}

/// Status and body of a response.
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts that a body is the error envelope with this code.
pub fn assert_envelope(body: &Value, code: &str) {
    let error = body.get("error").unwrap_or_else(|| panic!("no error envelope in {body}"));
    assert_eq!(error["code"], code, "{body}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(error["details"].is_array(), "{body}");
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting; the runtime ends with the test anyway.
        drop(self.handle.stop(false));
    }
}
