use super::*;
use crate::assign::fixtures::{experiment, request, snapshot};
use crate::assign::plan::{self, Facts, Route, WriteBatch};
use crate::db::models::exposures::StoredExposure;
use crate::domain::experiment::Status;

/// The plans of these requests, each on its own route.
fn plans(snap: &Snapshot, requests: &[Parsed], routes: Vec<Route>) -> Vec<Plan> {
    let facts = Facts::default();
    requests.iter().zip(routes).map(|(r, route)| plan::plan(snap, r, route, &facts)).collect()
}

/// What the writer would report: each (customer, experiment, variant id, inserted).
fn stored(rows: &[(&str, i64, i64, bool)]) -> Stored {
    let mut out = Stored::default();
    for (customer, experiment_id, variant_id, new) in rows {
        out.add(customer, StoredExposure { experiment_id: *experiment_id, variant_id: *variant_id, new: *new });
    }
    out
}

/// (experiment key, variant key, first exposure) of one answer.
fn keys(answer: &[Settled]) -> Vec<(String, String, bool)> {
    answer
        .iter()
        .map(|s| (s.experiment.key.clone(), s.experiment.variants[s.variant].key.clone(), s.first_exposure))
        .collect()
}

#[test]
fn a_proposal_the_write_inserted_is_this_requests_first_exposure() {
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    let requests = vec![request("c", Some("reach"))];
    let mut plans = plans(&snap, &requests, vec![Route::Lookup]);
    let batch = WriteBatch::of(&requests, &mut plans);
    assert_eq!(batch.exposures.len(), 1);
    let proposed = batch.exposures[0].variant_id;
    let done = reconcile(&snap, &requests, plans, &stored(&[("c", 1, proposed, true)]));
    let variant = format!("v{}", proposed - 100);
    assert_eq!(keys(&done.answers[0]), [("e".to_string(), variant, true)]);
    assert_eq!(done.learned.len(), 1);
    assert_eq!(done.learned[0].1.exposures.get(&1), Some(&proposed));
}

#[test]
fn a_concurrent_first_exposure_wins_and_is_not_counted_again() {
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    let requests = vec![request("c", Some("reach"))];
    let mut plans = plans(&snap, &requests, vec![Route::Lookup]);
    let proposed = WriteBatch::of(&requests, &mut plans).exposures[0].variant_id;
    let other = if proposed == 100 { 101 } else { 100 };
    let done = reconcile(&snap, &requests, plans, &stored(&[("c", 1, other, false)]));
    assert_eq!(keys(&done.answers[0]), [("e".to_string(), format!("v{}", other - 100), false)]);
}

#[test]
fn an_override_beats_a_stored_exposure() {
    let mut e = experiment(1, "e", "reach", &[1.0, 1.0]);
    e.def.overrides.insert("qa".into(), "v1".into());
    let snap = snapshot(vec![e]);
    let requests = vec![request("qa", Some("reach"))];
    let plans = plans(&snap, &requests, vec![Route::Lookup]);
    let done = reconcile(&snap, &requests, plans, &stored(&[("qa", 1, 100, false)]));
    assert_eq!(keys(&done.answers[0]), [("e".to_string(), "v1".to_string(), false)]);
    assert!(done.answers[0][0].is_override);
}

#[test]
fn a_customer_named_twice_is_one_first_exposure_counted_once() {
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    let requests = vec![request("c", Some("reach")), request("c", Some("reach"))];
    let mut plans = plans(&snap, &requests, vec![Route::Lookup, Route::WriteOnly]);
    let batch = WriteBatch::of(&requests, &mut plans);
    assert_eq!(batch.exposures.len(), 1, "one row per customer and experiment");
    let variant = batch.exposures[0].variant_id;
    let done = reconcile(&snap, &requests, plans, &stored(&[("c", 1, variant, true)]));
    let first: Vec<bool> = done.answers.iter().map(|a| a[0].first_exposure).collect();
    assert_eq!(first, [true, false]);
    assert_eq!(done.answers[0][0].variant, done.answers[1][0].variant);
}

#[test]
fn a_write_only_answer_is_what_is_stored_at_its_stage_paused_experiments_included() {
    let mut paused = experiment(2, "paused", "reach", &[1.0, 1.0]);
    paused.def.status = Status::Paused;
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0]), paused]);
    let requests = vec![request("c", Some("reach"))];
    let mut plans = plans(&snap, &requests, vec![Route::WriteOnly]);
    let batch = WriteBatch::of(&requests, &mut plans);
    assert_eq!(batch.read_all, ["c"], "the paused experiment may hold an exposure stored elsewhere");
    let variant = batch.exposures[0].variant_id;
    let done = reconcile(&snap, &requests, plans, &stored(&[("c", 1, variant, true), ("c", 2, 201, false)]));
    let expected = [("e".to_string(), format!("v{}", variant - 100), true), ("paused".into(), "v1".into(), false)];
    assert_eq!(keys(&done.answers[0]), expected);
}

#[test]
fn a_write_only_answer_without_a_stored_row_leaves_the_experiment_out() {
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    let requests = vec![request("c", Some("reach"))];
    let plans = plans(&snap, &requests, vec![Route::WriteOnly]);
    let done = reconcile(&snap, &requests, plans, &Stored::default());
    assert!(done.answers[0].is_empty());
}

#[test]
fn cached_decisions_stand_and_teach_nothing_new() {
    let snap = snapshot(vec![experiment(1, "e", "reach", &[1.0, 1.0])]);
    let requests = vec![request("c", Some("reach"))];
    let mut known = crate::assign::known::Known::default();
    known.exposures.insert(1, 101);
    known.members.push("reach".into());
    let route = plan::route(&snap, &requests[0], Some(&known));
    assert!(matches!(route, Route::Cached(_)), "{route:?}");
    let plans = plans(&snap, &requests, vec![route]);
    let done = reconcile(&snap, &requests, plans, &Stored::default());
    assert_eq!(keys(&done.answers[0]), [("e".to_string(), "v1".to_string(), false)]);
    assert!(done.learned.is_empty());
}
