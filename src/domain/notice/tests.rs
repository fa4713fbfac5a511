use super::*;
use chrono::TimeZone;

fn notice(kind: EventType, data: Value) -> Notice {
    Notice {
        id: Uuid::nil(),
        kind,
        at: Utc.with_ymd_and_hms(2026, 12, 3, 9, 30, 0).unwrap(),
        experiment: Subject { key: "welcome-offer".into(), name: "Welcome offer".into(), status: Status::Shipped },
        data,
    }
}

/// RFC 4231, test case 2 (key "Jefe"): the published HMAC-SHA256 of the message.
#[test]
fn signature_is_hmac_sha256_of_the_body() {
    assert_eq!(
        signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_ne!(signature("Jefe", b"what do ya want for nothing!"), signature("Jefe", b"what do ya want for nothing?"));
}

#[test]
fn the_body_has_the_contract_shape() {
    let n = notice(EventType::Shipped, serde_json::json!({"variant": "coupon10", "actor": "user:a@b.c"}));
    let body = serde_json::to_value(&n).unwrap();
    assert_eq!(body["id"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(body["type"], "experiment.shipped");
    assert_eq!(body["at"], "2026-12-03T09:30:00.000Z");
    assert_eq!(
        body["experiment"],
        serde_json::json!({"key": "welcome-offer", "name": "Welcome offer", "status": "shipped"})
    );
    assert_eq!(body["data"]["variant"], "coupon10");
    let back: Notice = serde_json::from_value(body).unwrap();
    assert_eq!(back, n);
}

#[test]
fn slack_text_says_what_happened() {
    let shipped = notice(EventType::Shipped, serde_json::json!({"variant": "coupon10", "actor": "user:a@b.c"}));
    assert_eq!(
        shipped.slack()["text"],
        "stagelab: *Welcome offer* (`welcome-offer`) shipped `coupon10` to every eligible customer by user:a@b.c \
         (2026-12-03T09:30:00Z)"
    );
    let unshipped = notice(EventType::Shipped, serde_json::json!({"variant": null, "actor": "apply"}));
    assert!(unshipped.text().contains("the rollout ended by apply"), "{}", unshipped.text());
    let stop =
        notice(EventType::Stopped, serde_json::json!({"actor": "stagelab", "reason": "its stop_at was reached"}));
    assert!(stop.text().contains("stopped by stagelab: its stop_at was reached"), "{}", stop.text());
    let decision = notice(
        EventType::Decision,
        serde_json::json!({"recommendation": "roll_back", "variant": "control", "reasons": ["coupon10 is worse."]}),
    );
    assert!(decision.text().contains("*roll back* `control` — coupon10 is worse."), "{}", decision.text());
}

#[test]
fn event_types_parse_by_their_contract_names() {
    let names: Vec<&str> = EventType::iter().filter(|t| t.subscribable()).map(EventType::as_str).collect();
    assert_eq!(
        names,
        [
            "experiment.started",
            "experiment.paused",
            "experiment.stopped",
            "experiment.shipped",
            "experiment.decision",
            "experiment.srm",
            "experiment.guardrail"
        ]
    );
    assert_eq!("experiment.srm".parse::<EventType>(), Ok(EventType::Srm));
    let err = "experiment.bogus".parse::<EventType>().unwrap_err();
    assert!(err.to_string().contains("unknown event type \"experiment.bogus\""), "{err}");
    assert_eq!(EventType::of_status(Status::Running), Some(EventType::Started));
    assert_eq!(EventType::of_status(Status::Draft), None);
}

use strum::IntoEnumIterator;
