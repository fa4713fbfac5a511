use super::*;
use crate::assign::fixtures::{experiment, request, snapshot};
use crate::domain::targeting::Rule;

#[test]
fn a_request_without_a_stage_or_with_targeting_needs_a_lookup() {
    let plain = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    assert!(matches!(route(&plain, &request("c", None), None), Route::Lookup));
    assert!(matches!(route(&plain, &request("c", Some("reach")), None), Route::WriteOnly));

    let mut targeted = experiment(1, "e", "reach", &[1.0, 1.0]);
    targeted.def.targeting = Some(Rule::Segment(vec!["best".into()]));
    let snap = snapshot(vec![targeted]);
    assert!(matches!(route(&snap, &request("c", Some("reach")), None), Route::Lookup));
}

#[test]
fn an_override_or_a_layer_neighbour_needs_a_lookup() {
    let mut overridden = experiment(1, "e", "reach", &[1.0, 1.0]);
    overridden.def.overrides.insert("qa".into(), "v1".into());
    let snap = snapshot(vec![overridden]);
    assert!(matches!(route(&snap, &request("qa", Some("reach")), None), Route::Lookup));
    assert!(matches!(route(&snap, &request("other", Some("reach")), None), Route::WriteOnly));

    let layered = |id, key: &str| {
        let mut e = experiment(id, key, "reach", &[1.0, 1.0]);
        e.def.layer = Some("email".into());
        e
    };
    let snap = snapshot(vec![layered(1, "a"), layered(2, "b")]);
    assert!(matches!(route(&snap, &request("c", Some("reach")), None), Route::Lookup));
}

#[test]
fn the_cache_answers_only_when_it_covers_every_experiment_and_the_facts_are_the_same() {
    let snap = snapshot(vec![experiment(1, "a", "reach", &[1.0, 1.0]), experiment(2, "b", "reach", &[1.0])]);
    let mut known = Known::default();
    known.exposures.insert(1, 100);
    let r = request("c", Some("reach"));
    assert!(!matches!(route(&snap, &r, Some(&known)), Route::Cached(_)), "b is not covered");
    known.exposures.insert(2, 200);
    assert!(!matches!(route(&snap, &r, Some(&known)), Route::Cached(_)), "the membership is not known");
    known.members.push("reach".into());
    assert!(matches!(route(&snap, &r, Some(&known)), Route::Cached(_)));
    let mut with_new_facts = r.clone();
    with_new_facts.segment = Some("best".into());
    assert!(!matches!(route(&snap, &with_new_facts, Some(&known)), Route::Cached(_)), "the segment must be stored");
}

#[test]
fn only_changed_facts_are_written_after_a_lookup_and_given_ones_always_without() {
    let snap = snapshot(vec![]);
    let mut r = request("c", Some("reach"));
    r.attributes.insert("country".into(), "JP".into());
    let mut facts = Facts::default();
    let stored = CustomerFacts { attributes: r.attributes.clone(), ..CustomerFacts::default() };
    facts.insert("c".into(), stored);
    assert!(plan(&snap, &r, Route::Lookup, &facts).update.is_none(), "nothing changed");
    assert!(plan(&snap, &r, Route::WriteOnly, &facts).update.is_some(), "unknown without a lookup");
    r.attributes.insert("country".into(), "KR".into());
    let update = plan(&snap, &r, Route::Lookup, &facts).update.unwrap();
    assert_eq!(update.attributes, serde_json::json!({"country": "KR"}));
}

#[test]
fn a_batch_takes_the_first_proposal_per_customer_and_experiment_and_the_back_dated_time() {
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    let at = chrono::Utc::now() - chrono::Duration::days(3);
    let mut first = request("c", Some("reach"));
    first.at = Some(at);
    let requests = vec![first, request("c", Some("reach")), request("d", Some("reach"))];
    let mut plans: Vec<Plan> = requests.iter().map(|r| plan(&snap, r, Route::WriteOnly, &Facts::default())).collect();
    let batch = WriteBatch::of(&requests, &mut plans);
    let rows: Vec<(&str, Option<chrono::DateTime<chrono::Utc>>)> =
        batch.exposures.iter().map(|e| (e.customer_id.as_str(), e.exposed_at)).collect();
    assert_eq!(rows, [("c", Some(at)), ("d", None)]);
    assert!(batch.read_all.is_empty() && batch.customers.is_empty() && !batch.is_empty());
}

#[test]
fn a_membership_is_proposed_once_at_a_stage_with_a_running_experiment() {
    let snap = snapshot(vec![experiment(1, "a", "reach", &[1.0, 1.0])]);
    let r = request("c", Some("reach"));
    let fresh = plan(&snap, &r, Route::WriteOnly, &Facts::default());
    let member = fresh.member.expect("a new customer is recorded");
    assert_eq!((member.customer_id.as_str(), member.stage.as_str(), member.held_out), ("c", "reach", false));
    assert_eq!(fresh.known.unwrap().members, ["reach"], "known once stored");
    let mut facts = Facts::default();
    facts.insert("c".into(), CustomerFacts { members: vec!["reach".into()], ..CustomerFacts::default() });
    assert!(plan(&snap, &r, Route::Lookup, &facts).member.is_none(), "already recorded");
    let elsewhere = request("c", Some("nurture"));
    assert!(plan(&snap, &elsewhere, Route::WriteOnly, &Facts::default()).member.is_none(), "no experiment there");
}
