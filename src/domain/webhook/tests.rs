use super::*;
use chrono::TimeZone;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn fields(problems: &[Problem]) -> Vec<&'static str> {
    problems.iter().map(|p| p.field).collect()
}

#[test]
fn a_valid_definition_parses() {
    let spec = WebhookSpec::parse("https://hooks.example.com/x?y=1", &strings(&["experiment.srm"]), None).unwrap();
    assert_eq!(spec.url.as_str(), "https://hooks.example.com/x?y=1");
    assert_eq!(spec.events, [EventType::Srm]);
    assert_eq!(spec.format, Format::Json);
    let slack = WebhookSpec::parse("http://127.0.0.1:9/", &strings(&["experiment.started"]), Some("slack"));
    assert_eq!(slack.unwrap().format, Format::Slack);
}

#[test]
fn bad_urls_are_refused_by_name() {
    let events = strings(&["experiment.started"]);
    for (url, says) in [
        ("ftp://example.com/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://token@example.com/", "credentials"),
        ("not a url", "cannot be read"),
        ("", "cannot be read"),
    ] {
        let problems = WebhookSpec::parse(url, &events, None).unwrap_err();
        assert_eq!(fields(&problems), ["url"], "{url}");
        assert!(problems[0].message.contains(says), "{url}: {}", problems[0].message);
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
    let problems = WebhookSpec::parse(&long, &events, None).unwrap_err();
    assert!(problems[0].message.contains("over 2000 characters"), "{}", problems[0].message);
    let just_fits = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS - 20));
    assert!(WebhookSpec::parse(&just_fits, &events, None).is_ok());
}

#[test]
fn every_problem_is_reported() {
    let problems =
        WebhookSpec::parse("gopher://x", &strings(&["experiment.nope", "webhook.test"]), Some("xml")).unwrap_err();
    assert_eq!(fields(&problems), ["url", "events", "events", "format"]);
    assert!(problems[1].message.contains("Unknown event type \"experiment.nope\""), "{}", problems[1].message);
    assert!(problems[2].message.contains("cannot be subscribed"), "{}", problems[2].message);
    assert!(problems[3].message.contains("json or slack"), "{}", problems[3].message);
    let none = WebhookSpec::parse("https://x.example", &[], None).unwrap_err();
    assert!(none[0].message.contains("at least one"), "{}", none[0].message);
    let twice = WebhookSpec::parse("https://x.example", &strings(&["experiment.srm", "experiment.srm"]), None);
    assert!(twice.unwrap_err()[0].message.contains("twice"));
}

#[test]
fn secrets_are_long_random_and_distinct() {
    let (a, b) = (new_secret(), new_secret());
    assert_eq!(a.len(), "whsec_".len() + 64);
    assert_ne!(a, b);
}

#[test]
fn retries_double_from_the_base_and_stop_after_a_day() {
    let created = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let base = Duration::seconds(5);
    let delays: Vec<i64> = (1..=5)
        .map(|attempts| (next_attempt(created, attempts, created, base).unwrap() - created).num_seconds())
        .collect();
    assert_eq!(delays, [5, 10, 20, 40, 80]);
    // Capped at an hour apart, however many attempts.
    assert_eq!(next_attempt(created, 40, created, base).unwrap() - created, Duration::hours(1));
    // Nothing is scheduled past 24 hours after creation.
    let late = created + Duration::hours(23) + Duration::minutes(59);
    assert_eq!(next_attempt(created, 20, late, base), None);
    assert!(next_attempt(created, 1, late, base).is_some());
}
