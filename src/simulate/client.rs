//! The HTTP side: the service's API as the simulator calls it, with retries of transient
//! failures (503, lost connections) and the latency of each call.

use super::error::SimError;
use super::journey::SimEvent;
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// How often a transient failure is retried before the run stops.
const RETRIES: u32 = 6;

/// A client of one stagelab service with one key.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: String,
}

/// One customer of an assignment request.
#[derive(Debug, Clone, Serialize)]
pub struct AssignItem {
    /// Customer.
    pub customer_id: String,
    /// The stage reached.
    pub stage: String,
    /// Attributes to target on.
    pub attributes: Map<String, Value>,
    /// When the stage was reached (back-dated exposure).
    pub at: String,
}

/// The `(experiment, variant)` pairs of one customer's answer: running and shipped experiments
/// alike, so that a shipped variant's `[simulation]` effect applies as a running one's does.
pub fn assigned(answer: &Value) -> Assigned {
    let list = answer["assignments"].as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .filter_map(|a| Some((a["experiment"].as_str()?.to_string(), a["variant"].as_str()?.to_string())))
        .collect()
}

/// The assignments of one customer: `(experiment, variant)` pairs.
pub type Assigned = Vec<(String, String)>;

impl Client {
    /// A client for the service at `url` (`http://host:port`, no path).
    pub fn new(url: &str, key: &str) -> Result<Client, SimError> {
        let bad = |reason: &str| SimError::BadUrl { url: url.to_string(), reason: reason.to_string() };
        let base = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if base.scheme() != "http" {
            return Err(bad("use an http:// URL such as http://127.0.0.1:8080 (TLS is not supported)"));
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL has no host"));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Client { http, base, key: key.trim().to_string() })
    }

    /// `GET /api/v1/lifecycle`.
    pub async fn lifecycle(&self) -> Result<Value, SimError> {
        self.get("/api/v1/lifecycle").await
    }

    /// `GET /api/v1/experiments`.
    pub async fn experiments(&self) -> Result<Value, SimError> {
        self.get("/api/v1/experiments").await
    }

    /// Assigns customers: one request per call (the batch endpoint for more than one customer).
    /// Returns each customer's assignments, in order, and the latency of the successful attempt.
    pub async fn assign(&self, items: &[AssignItem]) -> Result<(Vec<Assigned>, Duration), SimError> {
        let (answer, latency) = if let [one] = items {
            let answer = self.post("/api/v1/assignments", "an assignment request", one).await?;
            (vec![answer.0], answer.1)
        } else {
            let body = serde_json::json!({ "customers": items });
            let (answer, latency) = self.post("/api/v1/assignments/batch", "an assignment batch", &body).await?;
            (answer["results"].as_array().cloned().unwrap_or_default(), latency)
        };
        if answer.len() != items.len() {
            let message = format!("{} answers for {} customers", answer.len(), items.len());
            return Err(SimError::Failed { what: "an assignment request", status: 200, message });
        }
        Ok((answer.iter().map(assigned).collect(), latency))
    }

    /// Sends events; returns `(accepted, duplicates)` and the latency.
    pub async fn send_events(&self, events: &[SimEvent]) -> Result<((u64, u64), Duration), SimError> {
        let body = serde_json::json!({ "events": events });
        let (answer, latency) = self.post("/api/v1/events", "an event batch", &body).await?;
        let count = |field: &str| answer[field].as_u64().unwrap_or(0);
        Ok(((count("accepted"), count("duplicates")), latency))
    }

    async fn get(&self, path: &str) -> Result<Value, SimError> {
        let url = self.url(path)?;
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| SimError::Unreachable { url: self.base.to_string(), cause: error_chain(&e) })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status {
            StatusCode::OK => Ok(body),
            StatusCode::UNAUTHORIZED => Err(SimError::Unauthorized(message(&body))),
            StatusCode::FORBIDDEN => Err(SimError::NotAdmin),
            StatusCode::NOT_FOUND => {
                Err(SimError::NotStagelab { url: self.base.to_string(), what: format!("GET {path} answered 404") })
            }
            _ if body.get("error").is_none() => {
                let what = format!("GET {path} answered {status} without stagelab's error envelope");
                Err(SimError::NotStagelab { url: self.base.to_string(), what })
            }
            _ => Err(SimError::Failed {
                what: "a definitions request",
                status: status.as_u16(),
                message: message(&body),
            }),
        }
    }

    /// POSTs JSON, retrying 503 answers and lost connections with growing pauses.
    async fn post(&self, path: &str, what: &'static str, body: &impl Serialize) -> Result<(Value, Duration), SimError> {
        let url = self.url(path)?;
        let body =
            serde_json::to_vec(body).map_err(|e| SimError::Failed { what, status: 0, message: e.to_string() })?;
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let sent = self
                .http
                .post(url.clone())
                .bearer_auth(&self.key)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            let transient = match sent {
                Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                    format!("503: {}", message(&response.json().await.unwrap_or(Value::Null)))
                }
                Ok(response) => {
                    let status = response.status();
                    let answer: Value = response.json().await.unwrap_or(Value::Null);
                    return match status {
                        StatusCode::OK => Ok((answer, started.elapsed())),
                        StatusCode::UNAUTHORIZED => Err(SimError::Unauthorized(message(&answer))),
                        _ => Err(SimError::Failed { what, status: status.as_u16(), message: message(&answer) }),
                    };
                }
                Err(e) => error_chain(&e),
            };
            attempt += 1;
            if attempt > RETRIES {
                return Err(SimError::Unreachable { url: url.to_string(), cause: transient });
            }
            tracing::debug!(attempt, cause = %transient, "retrying {what}");
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }

    fn url(&self, path: &str) -> Result<Url, SimError> {
        self.base.join(path).map_err(|e| SimError::BadUrl { url: self.base.to_string(), reason: e.to_string() })
    }
}

/// The envelope's message, or the body itself.
fn message(body: &Value) -> String {
    body["error"]["message"].as_str().map_or_else(|| body.to_string(), str::to_string)
}

/// A transport error with its causes ("error sending request: connection refused").
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_answers_count_like_running_ones() {
        let answer = serde_json::json!({"customer_id": "c", "assignments": [
            {"experiment": "a", "variant": "v1", "payload": {}},
            {"experiment": "b", "variant": "win", "payload": {}, "shipped": true},
        ]});
        assert_eq!(assigned(&answer), [("a".to_string(), "v1".to_string()), ("b".to_string(), "win".to_string())]);
        assert!(assigned(&serde_json::json!({})).is_empty());
    }
}
