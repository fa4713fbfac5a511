use super::*;
use crate::db::models::experiments::StoredExperiment;
use crate::domain::lifecycle::{Lifecycle, Stage};
use statrs::distribution::{ChiSquared, ContinuousCDF};

fn lifecycle(holdout: f64) -> Lifecycle {
    let stage = |id: &str| Stage { id: id.into(), name: id.into(), description: String::new() };
    let stages = vec![stage("reach"), stage("acquisition"), stage("retention")];
    let rules = crate::domain::lifecycle::StageRules::defaults_for(&stages);
    Lifecycle { stages, holdout, rules, windows_days: Default::default() }
}

fn experiment(id: i64, key: &str, weights: &[f64]) -> StoredExperiment {
    crate::assign::fixtures::experiment(id, key, "acquisition", weights)
}

fn snapshot(experiments: Vec<StoredExperiment>, holdout: f64) -> Snapshot {
    Snapshot::build(experiments, lifecycle(holdout), Vec::new())
}

fn customer(id: &str) -> CustomerView<'_> {
    CustomerView { id, stage: Some("acquisition"), ..CustomerView::default() }
}

/// The variant keys a customer gets, by experiment key.
fn assigned(snapshot: &Snapshot, view: &CustomerView) -> Vec<(String, String)> {
    decide(snapshot, view, None)
        .into_iter()
        .map(|d| (d.experiment.key.clone(), d.experiment.variants[d.variant].key.clone()))
        .collect()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("customer-{i}")).collect()
}

#[test]
fn a_50_30_20_split_passes_a_chi_square_test() {
    let snap = snapshot(vec![experiment(1, "split", &[50.0, 30.0, 20.0])], 0.0);
    let mut counts = [0f64; 3];
    for id in ids(20_000) {
        let d = decide(&snap, &customer(&id), None);
        assert_eq!(d.len(), 1);
        assert!(d[0].new_exposure && !d[0].is_override);
        counts[d[0].variant] += 1.0;
    }
    let expected = [10_000.0, 6_000.0, 4_000.0];
    let chi2: f64 = counts.iter().zip(expected).map(|(o, e)| (o - e).powi(2) / e).sum();
    let p = 1.0 - ChiSquared::new(2.0).unwrap().cdf(chi2);
    assert!(p > 0.001, "counts {counts:?}, p = {p}");
}

#[test]
fn assignments_are_deterministic_and_differ_between_experiments() {
    let snap = snapshot(vec![experiment(1, "a", &[1.0, 1.0]), experiment(2, "b", &[1.0, 1.0])], 0.0);
    let mut same = 0;
    for id in ids(2_000) {
        let first = assigned(&snap, &customer(&id));
        assert_eq!(first, assigned(&snap, &customer(&id)));
        if first[0].1 == first[1].1 {
            same += 1;
        }
    }
    // Independent salts: about half of the customers get the same arm in both.
    assert!((800..1200).contains(&same), "{same}");
}

#[test]
fn stored_exposures_are_sticky_after_weights_change() {
    let before = snapshot(vec![experiment(1, "e", &[1.0, 1.0])], 0.0);
    let after = snapshot(vec![experiment(1, "e", &[0.1, 0.9])], 0.0);
    let mut moved_without_stickiness = 0;
    for id in ids(1_000) {
        let first = &decide(&before, &customer(&id), None)[0];
        let variant_id = first.experiment.variants[first.variant].id;
        let mut returning = customer(&id);
        returning.exposures.insert(1, variant_id);
        let again = &decide(&after, &returning, None)[0];
        assert_eq!(again.experiment.variants[again.variant].id, variant_id);
        assert!(!again.new_exposure);
        if decide(&after, &customer(&id), None)[0].variant != first.variant {
            moved_without_stickiness += 1;
        }
    }
    assert!(moved_without_stickiness > 300, "the weight change matters for new customers");
}

#[test]
fn raising_traffic_only_adds_customers() {
    let with_traffic = |t: f64| {
        let mut e = experiment(1, "e", &[1.0, 1.0, 1.0]);
        e.def.traffic = t;
        snapshot(vec![e], 0.0)
    };
    let (low, high) = (with_traffic(0.2), with_traffic(0.5));
    let (mut in_low, mut in_high) = (0, 0);
    for id in ids(10_000) {
        let a = assigned(&low, &customer(&id));
        let b = assigned(&high, &customer(&id));
        if let Some(first) = a.first() {
            in_low += 1;
            assert_eq!(Some(first), b.first(), "{id} moved");
        }
        in_high += b.len();
    }
    assert!((1_800..2_200).contains(&in_low), "{in_low}");
    assert!((4_700..5_300).contains(&in_high), "{in_high}");
}

#[test]
fn a_layer_of_three_experiments_never_overlaps() {
    let layered = |id, key: &str, traffic| {
        let mut e = experiment(id, key, &[1.0, 1.0]);
        e.def.layer = Some("checkout".into());
        e.def.traffic = traffic;
        e
    };
    let snap = snapshot(
        vec![layered(1, "a", 1.0), layered(2, "b", 1.0), layered(3, "c", 0.5), experiment(4, "free", &[1.0])],
        0.0,
    );
    let mut per_experiment = HashMap::new();
    for id in ids(9_000) {
        let got = assigned(&snap, &customer(&id));
        let layered: Vec<_> = got.iter().filter(|(k, _)| k != "free").collect();
        assert!(layered.len() <= 1, "{id} is in {layered:?}");
        for (k, _) in &got {
            *per_experiment.entry(k.clone()).or_insert(0) += 1;
        }
    }
    assert_eq!(per_experiment["free"], 9_000, "experiments outside the layer are unaffected");
    for (key, expected) in [("a", 3_000), ("b", 3_000), ("c", 1_500)] {
        let n = per_experiment[key];
        assert!((expected * 9 / 10..expected * 11 / 10).contains(&n), "{key}: {n}");
    }
}

#[test]
fn a_stored_exposure_in_the_layer_excludes_the_others() {
    let layered = |id, key: &str| {
        let mut e = experiment(id, key, &[1.0, 1.0]);
        e.def.layer = Some("l".into());
        e
    };
    let snap = snapshot(vec![layered(1, "a"), layered(2, "b")], 0.0);
    for id in ids(500) {
        let mut view = customer(&id);
        view.exposures.insert(1, 100);
        let got = assigned(&snap, &view);
        assert_eq!(got, vec![("a".to_string(), "v0".to_string())]);
    }
}

#[test]
fn holdout_customers_get_nothing() {
    let snap = snapshot(vec![experiment(1, "e", &[1.0, 1.0])], 0.1);
    let held: Vec<String> = ids(5_000).into_iter().filter(|id| in_holdout(0.1, id)).collect();
    assert!((400..600).contains(&held.len()), "{}", held.len());
    for id in &held {
        assert!(decide(&snap, &customer(id), None).is_empty());
    }
    let others = ids(5_000).into_iter().filter(|id| !in_holdout(0.1, id)).count();
    assert_eq!(others + held.len(), 5_000);
    assert!(!in_holdout(0.0, "anyone"));
}

#[test]
fn overrides_win_and_are_flagged() {
    let mut e = experiment(1, "e", &[1.0, 0.0]);
    e.def.overrides.insert("qa-1".into(), "v1".into());
    e.def.targeting = Some(crate::domain::targeting::Rule::Segment(vec!["never".into()]));
    let snap = snapshot(vec![e], 0.5);
    // Even at another stage, outside targeting, possibly held out, and with weight 0.
    let view = CustomerView { id: "qa-1", stage: Some("reach"), ..CustomerView::default() };
    let d = decide(&snap, &view, None);
    assert_eq!(d.len(), 1);
    assert!(d[0].is_override && d[0].new_exposure);
    assert_eq!(d[0].experiment.variants[d[0].variant].key, "v1");
    assert!(decide(&snap, &customer("qa-2"), None).is_empty(), "targeting still applies to others");
}

#[test]
fn targeting_and_stage_select_experiments() {
    let mut jp = experiment(1, "jp", &[1.0, 1.0]);
    jp.def.targeting = Some(
        serde_json::from_value::<crate::domain::targeting::RawRule>(
            serde_json::json!({"attribute": "country", "op": "eq", "value": "JP"}),
        )
        .unwrap()
        .validate()
        .unwrap(),
    );
    let snap = snapshot(vec![jp], 0.0);
    let mut view = customer("c-1");
    view.attributes.insert("country".into(), "JP".into());
    assert_eq!(decide(&snap, &view, None).len(), 1);
    view.attributes.insert("country".into(), "US".into());
    assert!(decide(&snap, &view, None).is_empty());
    view.attributes.insert("country".into(), "JP".into());
    view.stage = Some("retention");
    assert!(decide(&snap, &view, None).is_empty(), "another stage");
}

#[test]
fn paused_experiments_keep_stored_assignments_but_take_no_one_new() {
    let mut e = experiment(1, "e", &[1.0, 1.0]);
    e.def.status = Status::Paused;
    let snap = snapshot(vec![e], 0.0);
    assert!(decide(&snap, &customer("new"), None).is_empty());
    let mut returning = customer("old");
    returning.exposures.insert(1, 101);
    let d = decide(&snap, &returning, None);
    assert_eq!((d.len(), d[0].variant, d[0].new_exposure), (1, 1, false));
}

#[test]
fn the_filter_limits_experiments() {
    let snap = snapshot(vec![experiment(1, "a", &[1.0]), experiment(2, "b", &[1.0])], 0.0);
    let only = vec!["b".to_string()];
    let d = decide(&snap, &customer("c"), Some(&only));
    assert_eq!(d.iter().map(|d| d.experiment.key.as_str()).collect::<Vec<_>>(), ["b"]);
    assert_eq!(decide(&snap, &customer("c"), None).len(), 2);
}
