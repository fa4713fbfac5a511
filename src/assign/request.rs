//! The first stage of the pipeline: a request as the storefront sent it ([`AssignRequest`]) is
//! checked and turned into a [`Parsed`] request whose values are typed, or into every
//! [`Problem`] it has.

use super::snapshot::{ActiveExperiment, Snapshot};
use crate::events::Problem;
use crate::events::MAX_FUTURE_SECONDS;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Most customers in one batch request.
pub const MAX_BATCH: usize = 1_000;

/// One customer to assign, as sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "c-1", "stage": "acquisition", "attributes": {"country": "JP"}}))]
pub struct AssignRequest {
    /// The store's customer id.
    pub customer_id: String,
    /// The customer's stage now, when the storefront knows it.
    #[serde(default)]
    pub stage: Option<String>,
    /// Attributes to target on; merged into the stored ones.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// The customer's segment, when the storefront knows it.
    #[serde(default)]
    pub segment: Option<String>,
    /// Only these experiments.
    #[serde(default)]
    pub experiments: Option<Vec<String>>,
    /// When a new exposure happened, to back-fill history: RFC 3339, at most 5 minutes ahead.
    /// Only admin keys may send it (the handler checks); a stored exposure keeps its time.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

/// A request that passed every check: its stage is a lifecycle stage, its texts are within their
/// limits, and `at` is a time.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The store's customer id (1 to 200 characters, no NUL).
    pub customer_id: String,
    /// The stage the storefront gave, a stage of the lifecycle.
    pub stage: Option<String>,
    /// Attributes to merge into the stored ones (scalars only).
    pub attributes: Map<String, Value>,
    /// The segment the storefront gave.
    pub segment: Option<String>,
    /// The experiment filter, when given.
    pub experiments: Option<Vec<String>>,
    /// The back-dated exposure time, when given.
    pub at: Option<DateTime<Utc>>,
}

impl Parsed {
    /// Whether the request's experiment filter lets this experiment through.
    pub fn wants(&self, key: &str) -> bool {
        self.experiments.as_deref().is_none_or(|keys| keys.iter().any(|k| k == key))
    }

    /// The experiments at the request's given stage that it could get (within its filter),
    /// paused ones too; none when it gave no stage.
    pub fn at_stage<'s>(&'s self, snapshot: &'s Snapshot) -> impl Iterator<Item = &'s Arc<ActiveExperiment>> {
        let listed = self.stage.as_deref().and_then(|stage| snapshot.by_stage.get(stage));
        listed.into_iter().flatten().filter(|e| self.wants(&e.key))
    }

    /// Whether the request brings attributes or a segment to store.
    pub fn brings_facts(&self) -> bool {
        !self.attributes.is_empty() || self.segment.is_some()
    }
}

/// Checks every request (`index` is its place in a batch): all of them typed, or every problem
/// of every request.
pub fn parse(
    requests: Vec<AssignRequest>,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Result<Vec<Parsed>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(requests.len());
    for (index, request) in requests.into_iter().enumerate() {
        let mut check = Check { index, problems: Vec::new() };
        let at = check.request(&request, snapshot, now);
        if check.problems.is_empty() {
            parsed.push(Parsed {
                customer_id: request.customer_id,
                stage: request.stage,
                attributes: request.attributes,
                segment: request.segment,
                experiments: request.experiments,
                at,
            });
        }
        problems.append(&mut check.problems);
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// The problems of one request.
struct Check {
    index: usize,
    problems: Vec<Problem>,
}

impl Check {
    fn problem(&mut self, field: &'static str, reason: &'static str, message: String) {
        self.problems.push(Problem { index: self.index, field, reason, message });
    }

    /// Records every problem of `r`; returns its back-dated time when `at` is valid.
    fn request(&mut self, r: &AssignRequest, snapshot: &Snapshot, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let nul = |s: &str| s.contains('\0');
        if nul(&r.customer_id)
            || r.segment.as_deref().is_some_and(nul)
            || r.attributes.iter().any(|(k, v)| nul(k) || v.as_str().is_some_and(nul))
            || r.experiments.iter().flatten().any(|k| nul(k))
        {
            self.problem("", "nul_character", "text must not contain NUL characters (\\u0000)".into());
        }
        if r.customer_id.trim().is_empty() || r.customer_id.len() > 200 {
            self.problem("customer_id", "length", "customer_id must have 1 to 200 characters".into());
        }
        if let Some(stage) = &r.stage {
            if snapshot.lifecycle.position(stage).is_none() {
                let message = format!("{stage:?} is not a lifecycle stage ({})", snapshot.lifecycle.ids());
                self.problem("stage", "unknown_stage", message);
            }
        }
        if r.attributes.len() > 100 {
            self.problem("attributes", "too_many", "at most 100 attributes".into());
        }
        if r.attributes.iter().any(|(k, v)| {
            k.is_empty()
                || k.len() > 100
                || matches!(v, Value::Object(_) | Value::Array(_))
                || v.as_str().is_some_and(|s| s.len() > 1_000)
        }) {
            let message =
                "attributes map names (1 to 100 characters) to strings (up to 1,000), numbers, booleans or null";
            self.problem("attributes", "invalid", message.into());
        }
        if r.segment.as_ref().is_some_and(|s| s.is_empty() || s.len() > 100) {
            self.problem("segment", "length", "segment must have 1 to 100 characters".into());
        }
        if let Some(keys) = &r.experiments {
            if keys.len() > 100 || keys.iter().any(|k| k.is_empty() || k.len() > 63) {
                self.problem("experiments", "invalid", "experiments lists up to 100 experiment keys".into());
            }
        }
        let at = r.at.as_deref()?;
        match DateTime::parse_from_rfc3339(at) {
            Err(_) => {
                let message = format!("{at:?} is not an RFC 3339 time such as \"2026-11-23T10:00:00Z\"");
                self.problem("at", "invalid_time", message);
                None
            }
            Ok(t) if t.with_timezone(&Utc) > now + chrono::Duration::seconds(MAX_FUTURE_SECONDS) => {
                self.problem("at", "future", format!("{at} is more than 5 minutes in the future"));
                None
            }
            Ok(t) => Some(t.with_timezone(&Utc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(customer: &str) -> AssignRequest {
        AssignRequest {
            customer_id: customer.into(),
            stage: None,
            attributes: Map::new(),
            segment: None,
            experiments: None,
            at: None,
        }
    }

    #[test]
    fn a_valid_request_is_typed_and_at_is_parsed_once() {
        let mut r = request("c-1");
        r.at = Some("2026-11-23T10:00:00+09:00".into());
        let parsed = parse(vec![r], &Snapshot::empty(), Utc::now()).unwrap();
        assert_eq!(parsed[0].at.unwrap().to_rfc3339(), "2026-11-23T01:00:00+00:00");
    }

    #[test]
    fn every_problem_of_every_request_is_reported_by_index() {
        let mut second = request("");
        second.at = Some("tomorrow".into());
        second.segment = Some(String::new());
        let problems = parse(vec![request("ok"), second, request("a\0b")], &Snapshot::empty(), Utc::now()).unwrap_err();
        let found: Vec<(usize, &str)> = problems.iter().map(|p| (p.index, p.field)).collect();
        assert_eq!(found, [(1, "customer_id"), (1, "segment"), (1, "at"), (2, "")]);
    }

    #[test]
    fn an_unknown_stage_and_a_time_too_far_ahead_are_problems() {
        let mut r = request("c");
        r.stage = Some("nowhere".into());
        r.at = Some((Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
        let problems = parse(vec![r], &Snapshot::empty(), Utc::now()).unwrap_err();
        let reasons: Vec<&str> = problems.iter().map(|p| p.reason).collect();
        assert_eq!(reasons, ["unknown_stage", "future"]);
    }
}
