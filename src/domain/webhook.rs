//! A webhook's definition (CONTRACT §8), checked field by field, and its delivery schedule:
//! retried with exponential backoff until 24 hours have passed.

use super::named::named;
use super::notice::EventType;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Longest URL accepted.
pub const MAX_URL_CHARS: usize = 2000;

/// How long a delivery is retried before it is given up as failed.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// Longest wait between two attempts.
const MAX_DELAY: Duration = Duration::hours(1);

named! {
    /// What a delivery's body looks like.
    #[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Format ("webhook format") {
        /// The notification itself (CONTRACT §8).
        #[default]
        Json,
        /// `{"text": …}`, Slack's incoming-webhook shape.
        Slack,
    }
}

/// A valid webhook definition.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSpec {
    /// An `http` or `https` URL without credentials.
    pub url: url::Url,
    /// The event types it receives: at least one, no duplicates, each subscribable.
    pub events: Vec<EventType>,
    /// Body shape.
    pub format: Format,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// `url`, `events` or `format`.
    pub field: &'static str,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl WebhookSpec {
    /// Checks every field, reporting every problem.
    pub fn parse(url: &str, events: &[String], format: Option<&str>) -> Result<WebhookSpec, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut problem = |field, message: String| problems.push(Problem { field, message });
        let url = match check_url(url) {
            Ok(url) => Some(url),
            Err(message) => {
                problem("url", message);
                None
            }
        };
        let mut types = Vec::new();
        if events.is_empty() {
            problem("events", "`events` must list at least one event type.".into());
        }
        for name in events {
            match name.parse::<EventType>() {
                Ok(t) if !t.subscribable() => problem("events", format!("{name:?} cannot be subscribed to.")),
                Ok(t) if types.contains(&t) => problem("events", format!("{name:?} is listed twice.")),
                Ok(t) => types.push(t),
                Err(e) => problem("events", format!("{}.", capitalise(&e.to_string()))),
            }
        }
        let format = match format.map(str::parse::<Format>).transpose() {
            Ok(f) => f.unwrap_or_default(),
            Err(e) => {
                problem("format", format!("{}.", capitalise(&e.to_string())));
                Format::Json
            }
        };
        match url {
            Some(url) if problems.is_empty() => Ok(WebhookSpec { url, events: types, format }),
            _ => Err(problems),
        }
    }
}

fn check_url(text: &str) -> Result<url::Url, String> {
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!("The URL is over {MAX_URL_CHARS} characters."));
    }
    let url = url::Url::parse(text).map_err(|e| format!("The URL {text:?} cannot be read: {e}."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("The URL must start with http:// or https://, not {}://.", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("The URL must not carry credentials (user:password@): deliveries are signed instead.".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("The URL has no host.".into());
    }
    Ok(url)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A new signing secret: `whsec_` and 32 random bytes in hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// When a delivery that has failed its `attempts`-th attempt at `now` is tried again: `base`
/// after the first failure, doubling after each (at most an hour apart), or `None` when that
/// would be more than [`GIVE_UP_AFTER`] after the delivery was `created`.
pub fn next_attempt(
    created: DateTime<Utc>,
    attempts: i32,
    now: DateTime<Utc>,
    base: Duration,
) -> Option<DateTime<Utc>> {
    let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let delay = base.checked_mul(1 << doublings).unwrap_or(MAX_DELAY).min(MAX_DELAY);
    let next = now + delay;
    (next <= created + GIVE_UP_AFTER).then_some(next)
}

#[cfg(test)]
mod tests;
