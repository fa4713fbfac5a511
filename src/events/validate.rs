//! Checking a batch of raw JSON events: every problem of every event, by index and field.

use super::{Event, EventType, MAX_FUTURE_SECONDS, RETENTION_DAYS};
use crate::domain::lifecycle::Lifecycle;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

/// One problem with one event.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Position in the batch.
    pub index: usize,
    /// The field at fault (`""` for the event as a whole).
    pub field: &'static str,
    /// Stable reason code (also the `reason` label of the rejection metric).
    pub reason: &'static str,
    /// Human sentence.
    pub message: String,
}

const FIELDS: [&str; 9] =
    ["id", "customer_id", "type", "stage", "value", "currency", "order_id", "referred_customer_id", "occurred_at"];

/// Validates every event; returns them typed, or every problem found.
pub fn validate_batch(events: &[Value], lifecycle: &Lifecycle, now: DateTime<Utc>) -> Result<Vec<Event>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut valid = Vec::with_capacity(events.len());
    for (index, raw) in events.iter().enumerate() {
        let mut p = Checker { index, problems: &mut problems };
        if let Some(event) = p.event(raw, lifecycle, now) {
            valid.push(event);
        }
    }
    if problems.is_empty() {
        Ok(valid)
    } else {
        Err(problems)
    }
}

struct Checker<'a> {
    index: usize,
    problems: &'a mut Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, field: &'static str, reason: &'static str, message: impl Into<String>) {
        self.problems.push(Problem { index: self.index, field, reason, message: message.into() });
    }

    fn event(&mut self, raw: &Value, lifecycle: &Lifecycle, now: DateTime<Utc>) -> Option<Event> {
        let Value::Object(map) = raw else {
            self.problem("", "not_an_object", "an event is a JSON object");
            return None;
        };
        let before = self.problems.len();
        for key in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            self.problem("", "unknown_field", format!("unknown field {key:?} (fields: {})", FIELDS.join(", ")));
        }
        let id = self.text(map, "id", true);
        let customer_id = self.text(map, "customer_id", true);
        let event_type = match map.get("type") {
            None | Some(Value::Null) => {
                self.problem("type", "missing", "`type` is required: stage, purchase or referral");
                None
            }
            Some(Value::String(t)) => {
                t.parse::<EventType>().map_err(|e| self.problem("type", "invalid_type", e.to_string())).ok()
            }
            Some(_) => {
                self.problem("type", "wrong_kind", "`type` must be a string");
                None
            }
        };
        let stage = self.text(map, "stage", false);
        let value = self.number(map, "value");
        let currency = self.text(map, "currency", false);
        let order_id = self.text(map, "order_id", false);
        let referred = self.text(map, "referred_customer_id", false);
        let occurred_at = self.time(map, now);

        match event_type {
            Some(EventType::Stage) => match &stage {
                None => self.problem("stage", "missing", "a stage event needs `stage`"),
                Some(s) if lifecycle.position(s).is_none() => self.problem(
                    "stage",
                    "unknown_stage",
                    format!("{s:?} is not a lifecycle stage ({})", lifecycle.ids()),
                ),
                Some(_) => {}
            },
            Some(EventType::Purchase) => {
                if map.get("value").is_none_or(Value::is_null) {
                    self.problem("value", "missing", "a purchase needs `value` (the order value, ≥ 0)");
                }
            }
            Some(EventType::Referral) | None => {}
        }
        if let Some(t) = event_type {
            let only = |field: &'static str, allowed: EventType| {
                (map.get(field).is_some_and(|v| !v.is_null()) && t != allowed).then_some((field, allowed))
            };
            for (field, allowed) in [
                only("stage", EventType::Stage),
                only("value", EventType::Purchase),
                only("currency", EventType::Purchase),
                only("order_id", EventType::Purchase),
                only("referred_customer_id", EventType::Referral),
            ]
            .into_iter()
            .flatten()
            {
                self.problem(field, "not_allowed", format!("`{field}` belongs to {} events only", allowed.as_str()));
            }
        }
        if let Some(c) = &currency {
            if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                self.problem("currency", "invalid_currency", format!("{c:?} is not an ISO 4217 code such as \"JPY\""));
            }
        }
        if referred.is_some() && referred == customer_id {
            self.problem("referred_customer_id", "self_referral", "a customer cannot refer themselves");
        }
        if self.problems.len() > before {
            return None;
        }
        let occurred_at = occurred_at?;
        Some(Event {
            id: id?,
            customer_id: customer_id?,
            event_type: event_type?,
            stage,
            value,
            currency,
            order_id,
            referred_customer_id: referred,
            occurred_at,
            is_late: occurred_at < now - Duration::days(RETENTION_DAYS),
        })
    }

    /// A string field of 1 to 200 characters.
    fn text(&mut self, map: &Map<String, Value>, field: &'static str, required: bool) -> Option<String> {
        match map.get(field) {
            None | Some(Value::Null) => {
                if required {
                    self.problem(field, "missing", format!("`{field}` is required"));
                }
                None
            }
            Some(Value::String(s)) if s.contains('\0') => {
                self.problem(field, "nul_character", format!("`{field}` must not contain NUL characters (\\u0000)"));
                None
            }
            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 200 => Some(s.clone()),
            Some(Value::String(_)) => {
                self.problem(field, "invalid_length", format!("`{field}` must have 1 to 200 characters"));
                None
            }
            Some(_) => {
                self.problem(field, "wrong_kind", format!("`{field}` must be a string"));
                None
            }
        }
    }

    /// A finite number from 0 to 10¹².
    fn number(&mut self, map: &Map<String, Value>, field: &'static str) -> Option<f64> {
        match map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.is_finite() && (0.0..=1e12).contains(&v) => Some(v),
                _ => {
                    self.problem(field, "out_of_range", format!("`{field}` must be between 0 and 10^12, not {n}"));
                    None
                }
            },
            Some(_) => {
                self.problem(field, "wrong_kind", format!("`{field}` must be a number"));
                None
            }
        }
    }

    /// `occurred_at`: RFC 3339, at most five minutes in the future.
    fn time(&mut self, map: &Map<String, Value>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let field = "occurred_at";
        let Some(Value::String(text)) = map.get(field) else {
            let reason = if map.get(field).is_none_or(Value::is_null) { "missing" } else { "wrong_kind" };
            self.problem(
                field,
                reason,
                "`occurred_at` is required, as an RFC 3339 time such as \"2026-11-23T10:00:00Z\"",
            );
            return None;
        };
        let Ok(time) = DateTime::parse_from_rfc3339(text) else {
            self.problem(
                field,
                "invalid_time",
                format!("{text:?} is not an RFC 3339 time such as \"2026-11-23T10:00:00Z\""),
            );
            return None;
        };
        // PostgreSQL keeps microseconds: what is checked and summarised is what is stored.
        let time = time.with_timezone(&Utc).trunc_subsecs(6);
        if time > now + Duration::seconds(MAX_FUTURE_SECONDS) {
            self.problem(field, "in_future", format!("{text} is more than 5 minutes in the future"));
            return None;
        }
        Some(time)
    }
}

#[cfg(test)]
mod tests;
