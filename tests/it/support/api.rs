//! Typed calls to the storefront API, `POST /api/v1/assignments` and `POST /api/v1/events`:
//! the typed form asserts a 200 and returns what the answer means; the raw form returns status
//! and body, for tests of errors and of the exact answer.

use super::TestApp;
use serde::Serialize;
use serde_json::Value;

const ASSIGNMENTS: &str = "/api/v1/assignments";
const EVENTS: &str = "/api/v1/events";

/// One assignment request; the fields not set are left out of the body (so the app uses the
/// stored stage, or the first, and no attributes).
#[derive(Debug, Clone, Serialize)]
pub struct AssignCall {
    customer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    experiments: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
}

impl AssignCall {
    /// A request for `customer` alone.
    pub fn new(customer: &str) -> AssignCall {
        AssignCall { customer_id: customer.into(), stage: None, attributes: None, experiments: None, at: None }
    }

    /// The customer's stage now.
    pub fn stage(self, stage: &str) -> AssignCall {
        AssignCall { stage: Some(stage.into()), ..self }
    }

    /// Targeting attributes (a JSON object; the app merges them into the stored ones).
    pub fn attributes(self, attributes: Value) -> AssignCall {
        AssignCall { attributes: Some(attributes), ..self }
    }

    /// Only these experiments.
    pub fn experiments(self, keys: &[&str]) -> AssignCall {
        AssignCall { experiments: Some(keys.iter().map(|k| k.to_string()).collect()), ..self }
    }

    /// The exposure time to store (`"at"`, admin keys only), as given: it may be invalid on purpose.
    pub fn at(self, at: &str) -> AssignCall {
        AssignCall { at: Some(at.into()), ..self }
    }
}

/// The body of an event batch.
#[derive(Serialize)]
struct Batch<'a> {
    events: &'a [Value],
}

impl TestApp {
    /// Assigns; asserts a 200 that names the customer, and returns its (experiment, variant)
    /// pairs in the answer's order.
    pub async fn assign(&self, token: &str, call: &AssignCall) -> Vec<(String, String)> {
        let (status, body) = self.assign_raw(token, call).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["customer_id"], call.customer_id.as_str());
        let pair =
            |a: &Value| (a["experiment"].as_str().unwrap().to_string(), a["variant"].as_str().unwrap().to_string());
        body["assignments"].as_array().unwrap().iter().map(pair).collect()
    }

    /// `POST /api/v1/assignments` with any body (an [`AssignCall`] or hand-made JSON); returns
    /// status and body.
    pub async fn assign_raw(&self, token: &str, body: &impl Serialize) -> (u16, Value) {
        self.post(ASSIGNMENTS, token, body).await
    }

    /// Sends one batch of events; asserts a 200 and returns `(accepted, duplicates)`.
    pub async fn send_events(&self, token: &str, events: &[Value]) -> (u64, u64) {
        let (status, body) = self.send_events_raw(token, &Batch { events }).await;
        assert_eq!(status, 200, "{body}");
        (body["accepted"].as_u64().unwrap(), body["duplicates"].as_u64().unwrap())
    }

    /// `POST /api/v1/events` with any body (e.g. `{"events": [...]}`); returns status and body.
    pub async fn send_events_raw(&self, token: &str, body: &impl Serialize) -> (u16, Value) {
        self.post(EVENTS, token, body).await
    }
}
