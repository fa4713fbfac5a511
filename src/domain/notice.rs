//! Notifications (CONTRACT §8): what happened to an experiment, as a webhook receives it, and how
//! a delivery is signed. Building and sending them is `crate::notify`'s.

use super::experiment::Status;
use super::named::named;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

named! {
    /// What a notification reports; a webhook subscribes to some of them.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    pub enum EventType ("event type") {
        /// The experiment started (by a person, a file or its schedule).
        #[strum(serialize = "experiment.started")]
        #[serde(rename = "experiment.started")]
        Started,
        /// It was paused (by hand or by a guardrail action).
        #[strum(serialize = "experiment.paused")]
        #[serde(rename = "experiment.paused")]
        Paused,
        /// It stopped (by hand, its schedule, its planned sample or a guardrail action).
        #[strum(serialize = "experiment.stopped")]
        #[serde(rename = "experiment.stopped")]
        Stopped,
        /// A variant was shipped, or a rollout ended (`data.variant` is then null).
        #[strum(serialize = "experiment.shipped")]
        #[serde(rename = "experiment.shipped")]
        Shipped,
        /// The decision's recommendation changed.
        #[strum(serialize = "experiment.decision")]
        #[serde(rename = "experiment.decision")]
        Decision,
        /// A sample ratio mismatch appeared.
        #[strum(serialize = "experiment.srm")]
        #[serde(rename = "experiment.srm")]
        Srm,
        /// A guardrail became significantly worse (with the action taken).
        #[strum(serialize = "experiment.guardrail")]
        #[serde(rename = "experiment.guardrail")]
        Guardrail,
        /// A test delivery asked for from the webhooks page or API; nobody subscribes to it.
        #[strum(serialize = "webhook.test")]
        #[serde(rename = "webhook.test")]
        Test,
    }
}

impl EventType {
    /// Whether a webhook may subscribe to it (every type but the test ping).
    pub fn subscribable(self) -> bool {
        self != EventType::Test
    }

    /// The status change that this type reports, if it reports one.
    pub fn of_status(status: Status) -> Option<EventType> {
        match status {
            Status::Draft => None,
            Status::Running => Some(EventType::Started),
            Status::Paused => Some(EventType::Paused),
            Status::Stopped => Some(EventType::Stopped),
            Status::Shipped => Some(EventType::Shipped),
        }
    }
}

/// The experiment a notification is about, as it was when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Status after the change.
    pub status: Status,
}

/// One notification: the body every subscribed webhook receives (`format = "json"`), unchanged
/// across retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Stable across retries: receivers deduplicate on it.
    pub id: Uuid,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When (RFC 3339, UTC).
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    /// About which experiment.
    pub experiment: Subject,
    /// Type-specific details (e.g. `from`, `to`, `actor`, `reason`; `variant`; `recommendation`).
    pub data: Value,
}

mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom)
    }
}

impl Notice {
    /// The body of a `format = "slack"` delivery: `{"text": …}` (Slack's incoming-webhook shape).
    pub fn slack(&self) -> Value {
        serde_json::json!({ "text": self.text() })
    }

    /// One human line (Slack mrkdwn) saying what happened.
    pub fn text(&self) -> String {
        let e = &self.experiment;
        let who = format!("*{}* (`{}`)", e.name, e.key);
        let field = |name: &str| self.data.get(name).and_then(Value::as_str).map(str::to_string);
        let actor = field("actor").map(|a| format!(" by {a}")).unwrap_or_default();
        let reason = field("reason").map(|r| format!(": {r}")).unwrap_or_default();
        let headline = match self.kind {
            EventType::Started => format!("{who} started{actor}{reason}"),
            EventType::Paused => format!("{who} was paused{actor}{reason}"),
            EventType::Stopped => format!("{who} stopped{actor}{reason}"),
            EventType::Shipped => match field("variant") {
                Some(v) => format!("{who} shipped `{v}` to every eligible customer{actor}"),
                None => format!("{who}: the rollout ended{actor}"),
            },
            EventType::Decision => {
                let rec = field("recommendation").unwrap_or_default().replace('_', " ");
                let variant = field("variant").map(|v| format!(" `{v}`")).unwrap_or_default();
                let because = self.data.get("reasons").and_then(Value::as_array).and_then(|r| r.first());
                let because = because.and_then(Value::as_str).map(|r| format!(" — {r}")).unwrap_or_default();
                format!("{who}: the recommendation is now *{rec}*{variant}{because}")
            }
            EventType::Srm => format!("{who}: sample ratio mismatch{reason}"),
            EventType::Guardrail => {
                let action = field("action").unwrap_or_default();
                format!("{who}: a guardrail is significantly worse (action: {action}){reason}")
            }
            EventType::Test => format!("stagelab test delivery for {who}"),
        };
        format!("stagelab: {headline} ({})", self.at.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

/// The `X-Stagelab-Signature` value of a delivery: `sha256=` and the lowercase hex HMAC-SHA256 of
/// the exact body bytes sent, keyed with the webhook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests;
