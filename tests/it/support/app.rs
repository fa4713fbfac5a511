//! The real application on port 0 against a test database.

use super::TestDb;
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
    /// Starts the app on a fresh database.
    pub async fn spawn() -> TestApp {
        let db = TestDb::new().await;
        let mut config = Config::for_database_url(db.url());
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

    /// GET a path; returns status and body (JSON, or the text as a JSON string).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        read(req.send().await.unwrap()).await
    }

    /// Creates an API key directly in the database; returns its token.
    pub async fn create_key(&self, role: stagelab::domain::key::KeyRole) -> String {
        let token = stagelab::domain::key::generate(role);
        let mut conn = self.pool.get().await.unwrap();
        let new = stagelab::db::models::api_keys::NewApiKey {
            name: "test",
            role: role.as_str(),
            prefix: &token.prefix,
            token_hash: &token.hash,
        };
        stagelab::db::models::api_keys::insert(&mut conn, &new).await.unwrap();
        token.token
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
