use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

fn findings(recommendation: Recommendation, srm: bool, alarm: bool) -> Findings {
    let alarms = alarm
        .then(|| Alarm { metric: "revenue".into(), variant: "coupon10".into(), estimate: -3.0, p_value: 0.001 })
        .into_iter()
        .collect();
    Findings {
        recommendation,
        variant: None,
        reasons: vec!["Because.".into()],
        sample_reached: false,
        srm: (if srm { 1e-5 } else { 0.4 }, srm),
        alarms,
    }
}

fn look_at(status: Status, action: GuardrailAction, f: Option<&Findings>, seen: Option<&Seen>) -> Steps {
    let schedule = Schedule::default();
    look(1, &Look { status, schedule: &schedule, action, now: now(), findings: f, seen })
}

fn kinds(steps: &Steps) -> Vec<EventType> {
    steps.notices.iter().map(|(k, _)| *k).collect()
}

#[test]
fn a_guardrail_alarm_acts_once_as_configured() {
    let f = findings(Recommendation::KeepRunning, false, true);
    let stop = look_at(Status::Running, GuardrailAction::Stop, Some(&f), None);
    let (to, note) = stop.status.clone().unwrap();
    assert_eq!(to, Status::Stopped);
    assert!(note.starts_with("the guardrail action stopped it: guardrail revenue is significantly worse"), "{note}");
    assert_eq!(kinds(&stop), [EventType::Guardrail]);
    assert_eq!(stop.guardrail.as_ref().unwrap()["action"], "stop");
    let pause = look_at(Status::Running, GuardrailAction::Pause, Some(&f), None);
    assert_eq!(pause.status.unwrap().0, Status::Paused);
    let warn = look_at(Status::Running, GuardrailAction::Warn, Some(&f), None);
    assert_eq!((warn.status.clone(), kinds(&warn)), (None, vec![EventType::Guardrail]));
    // Seen already: nothing again.
    let seen = warn.seen.unwrap();
    assert!(seen.guardrail.as_deref().unwrap().ends_with("(action: warn)"));
    let again = look_at(Status::Running, GuardrailAction::Stop, Some(&f), Some(&seen));
    assert_eq!(again, Steps::default());
    // Once the guardrail recovers, the alarm is forgotten (and may fire again later).
    let healthy = findings(Recommendation::KeepRunning, false, false);
    let recovered = look_at(Status::Running, GuardrailAction::Warn, Some(&healthy), Some(&seen));
    assert_eq!(recovered.seen.unwrap().guardrail, None);
}

#[test]
fn decisions_and_mismatches_are_notified_when_they_change() {
    let first = look_at(
        Status::Running,
        GuardrailAction::Warn,
        Some(&findings(Recommendation::KeepRunning, false, false)),
        None,
    );
    assert!(first.notices.is_empty(), "the first look at a young experiment says nothing");
    let seen = first.seen.unwrap();
    assert_eq!(seen.recommendation.as_deref(), Some("keep_running"));
    let ship = findings(Recommendation::Ship, false, false);
    let changed = look_at(Status::Running, GuardrailAction::Warn, Some(&ship), Some(&seen));
    assert_eq!(kinds(&changed), [EventType::Decision]);
    assert_eq!(changed.notices[0].1["previous"], "keep_running");
    assert_eq!(changed.notices[0].1["recommendation"], "ship");
    let seen = changed.seen.unwrap();
    assert_eq!(look_at(Status::Running, GuardrailAction::Warn, Some(&ship), Some(&seen)), Steps::default());
    let srm = findings(Recommendation::Investigate, true, false);
    let mismatch = look_at(Status::Paused, GuardrailAction::Warn, Some(&srm), Some(&seen));
    assert_eq!(kinds(&mismatch), [EventType::Srm, EventType::Decision]);
    assert!(mismatch.seen.unwrap().srm);
}

#[test]
fn a_paused_experiment_is_not_acted_on_by_its_guardrail() {
    let f = findings(Recommendation::KeepRunning, false, true);
    let steps = look_at(Status::Paused, GuardrailAction::Stop, Some(&f), None);
    assert_eq!((steps.status, steps.guardrail), (None, None));
}

#[test]
fn schedules_come_first() {
    let schedule = Schedule { stop_at: Some(now() - chrono::Duration::seconds(1)), ..Schedule::default() };
    let f = findings(Recommendation::KeepRunning, false, true);
    let steps = look(
        1,
        &Look {
            status: Status::Running,
            schedule: &schedule,
            action: GuardrailAction::Pause,
            now: now(),
            findings: Some(&f),
            seen: None,
        },
    );
    assert_eq!(steps.status.unwrap(), (Status::Stopped, "its scheduled stop (stop_at) was reached".to_string()));
    let draft = Schedule { start_at: Some(now()), ..Schedule::default() };
    let steps = look(
        1,
        &Look {
            status: Status::Draft,
            schedule: &draft,
            action: GuardrailAction::Warn,
            now: now(),
            findings: None,
            seen: None,
        },
    );
    assert_eq!(steps.status.unwrap().0, Status::Running);
    assert_eq!(steps.seen, None);
}
