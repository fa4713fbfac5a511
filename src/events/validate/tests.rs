use super::*;
use crate::domain::lifecycle::{Stage, StageRules};
use serde_json::json;

fn lifecycle() -> Lifecycle {
    let stages: Vec<Stage> = ["reach", "acquisition", "retention", "advocacy"]
        .iter()
        .map(|id| Stage { id: id.to_string(), name: id.to_string(), description: String::new() })
        .collect();
    let rules = StageRules::defaults_for(&stages);
    Lifecycle { stages, holdout: 0.0, rules, windows_days: Default::default() }
}

fn now() -> DateTime<Utc> {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

fn check(event: Value) -> Result<Event, Vec<Problem>> {
    validate_batch(&[event], &lifecycle(), now()).map(|mut v| v.remove(0))
}

/// The (field, reason) pairs of an invalid event.
fn reasons(event: Value) -> Vec<(&'static str, &'static str)> {
    check(event.clone()).expect_err(&event.to_string()).into_iter().map(|p| (p.field, p.reason)).collect()
}

fn stage_event() -> Value {
    json!({"id": "e1", "customer_id": "c1", "type": "stage", "stage": "retention", "occurred_at": "2026-11-23T10:00:00Z"})
}

fn purchase() -> Value {
    json!({"id": "e2", "customer_id": "c1", "type": "purchase", "value": 42.5, "currency": "JPY", "order_id": "o-1", "occurred_at": "2026-11-23T10:00:00+09:00"})
}

fn referral() -> Value {
    json!({"id": "e3", "customer_id": "c1", "type": "referral", "referred_customer_id": "c2", "occurred_at": "2026-11-23T10:00:00Z"})
}

fn with(mut event: Value, field: &str, value: Value) -> Value {
    event[field] = value;
    event
}

fn without(mut event: Value, field: &str) -> Value {
    event.as_object_mut().unwrap().remove(field);
    event
}

#[test]
fn valid_events_of_each_type() {
    let s = check(stage_event()).unwrap();
    assert_eq!((s.event_type, s.stage.as_deref(), s.is_late), (EventType::Stage, Some("retention"), false));
    let p = check(purchase()).unwrap();
    assert_eq!((p.value, p.currency.as_deref(), p.order_id.as_deref()), (Some(42.5), Some("JPY"), Some("o-1")));
    assert_eq!(p.occurred_at, "2026-11-23T01:00:00Z".parse::<DateTime<Utc>>().unwrap(), "offsets are honoured");
    let r = check(referral()).unwrap();
    assert_eq!(r.referred_customer_id.as_deref(), Some("c2"));
    assert!(check(without(referral(), "referred_customer_id")).is_ok(), "the referred customer is optional");
    assert!(check(with(purchase(), "value", json!(0))).is_ok(), "a free order is a purchase");
    assert!(check(without(without(purchase(), "currency"), "order_id")).is_ok());
}

#[test]
fn each_rule_rejects_with_field_and_reason() {
    let cases: Vec<(Value, (&str, &str))> = vec![
        (json!("not an object"), ("", "not_an_object")),
        (with(stage_event(), "colour", json!(1)), ("", "unknown_field")),
        (without(stage_event(), "id"), ("id", "missing")),
        (with(stage_event(), "id", json!("")), ("id", "invalid_length")),
        (with(stage_event(), "id", json!("x".repeat(201))), ("id", "invalid_length")),
        (with(stage_event(), "id", json!(7)), ("id", "wrong_kind")),
        (with(stage_event(), "customer_id", json!("a\u{0}b")), ("customer_id", "nul_character")),
        (without(stage_event(), "customer_id"), ("customer_id", "missing")),
        (without(stage_event(), "type"), ("type", "missing")),
        (with(stage_event(), "type", json!("click")), ("type", "invalid_type")),
        (with(stage_event(), "type", json!(1)), ("type", "wrong_kind")),
        (without(stage_event(), "stage"), ("stage", "missing")),
        (with(stage_event(), "stage", json!("loyalty")), ("stage", "unknown_stage")),
        (without(purchase(), "value"), ("value", "missing")),
        (with(purchase(), "value", json!(-1)), ("value", "out_of_range")),
        (with(purchase(), "value", json!(1e13)), ("value", "out_of_range")),
        (with(purchase(), "value", json!("42")), ("value", "wrong_kind")),
        (with(purchase(), "currency", json!("yen")), ("currency", "invalid_currency")),
        (with(stage_event(), "value", json!(3)), ("value", "not_allowed")),
        (with(referral(), "stage", json!("reach")), ("stage", "not_allowed")),
        (with(stage_event(), "order_id", json!("o")), ("order_id", "not_allowed")),
        (with(purchase(), "referred_customer_id", json!("c9")), ("referred_customer_id", "not_allowed")),
        (with(referral(), "referred_customer_id", json!("c1")), ("referred_customer_id", "self_referral")),
        (without(stage_event(), "occurred_at"), ("occurred_at", "missing")),
        (with(stage_event(), "occurred_at", json!(1700000000)), ("occurred_at", "wrong_kind")),
        (with(stage_event(), "occurred_at", json!("yesterday")), ("occurred_at", "invalid_time")),
        (with(stage_event(), "occurred_at", json!("2026-11-23T12:06:00Z")), ("occurred_at", "in_future")),
    ];
    for (event, expected) in cases {
        assert_eq!(reasons(event.clone()), vec![expected], "{event}");
    }
    // Up to five minutes ahead is clock skew, not an error.
    assert!(check(with(stage_event(), "occurred_at", json!("2026-11-23T12:04:59Z"))).is_ok());
}

#[test]
fn old_events_are_accepted_but_flagged() {
    let old = check(with(stage_event(), "occurred_at", json!("2023-01-01T00:00:00Z"))).unwrap();
    assert!(old.is_late);
}

#[test]
fn every_problem_of_every_event_is_reported() {
    let batch = vec![
        stage_event(),
        json!({"type": "purchase"}),
        purchase(),
        with(referral(), "referred_customer_id", json!(5)),
    ];
    let problems = validate_batch(&batch, &lifecycle(), now()).unwrap_err();
    let at: Vec<(usize, &str)> = problems.iter().map(|p| (p.index, p.field)).collect();
    assert_eq!(at, vec![(1, "id"), (1, "customer_id"), (1, "occurred_at"), (1, "value"), (3, "referred_customer_id")]);
}
