use super::*;
use crate::simulate::model::{Baseline, Model};
use serde_json::json;
use std::collections::VecDeque;

fn model() -> Model {
    let lifecycle = json!({
        "stages": [{"id": "reach"}, {"id": "acquisition"}, {"id": "nurture"}, {"id": "retention"}, {"id": "advocacy"}],
        "rules": {"first_purchase": "acquisition", "repeat_purchase": "retention", "referral": "advocacy"},
    });
    let experiments = json!({"experiments": [{
        "key": "coupon", "stage": "acquisition", "goal": "retention", "window_days": 30,
        "simulation": {"variants": {"coupon10": {"goal": 0.2, "revenue": 0.5}}},
    }]});
    Model::from_api(&lifecycle, &experiments, Baseline::default()).unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-11-23T00:00:00Z".parse().unwrap()
}

/// Every event and every visit of a run, with the customer's number.
type Journeys = (Vec<(u64, SimEvent)>, Vec<(u64, Visit)>);

/// Runs `n` whole journeys; at acquisition, even customers get `coupon10` and odd ones `control`.
fn run(world: &World, n: u64) -> Journeys {
    let (mut events, mut visits) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (mut c, arrival) = world.customer(i, 120.0);
        let mut queue: VecDeque<Visit> = VecDeque::new();
        let mut take = |out: Outcome, queue: &mut VecDeque<Visit>| {
            events.extend(out.events.into_iter().map(|e| (i, e)));
            queue.extend(out.visits);
        };
        take(world.arrive(&mut c, arrival), &mut queue);
        while let Some(visit) = queue.pop_front() {
            visits.push((i, visit));
            let variant = if i % 2 == 0 { "coupon10" } else { "control" };
            let assigned = if visit.stage == 1 { vec![("coupon".to_string(), variant.to_string())] } else { vec![] };
            take(world.answered(&mut c, visit, &assigned), &mut queue);
        }
        assert!(c.finished());
    }
    (events, visits)
}

#[test]
fn journeys_are_deterministic_for_a_seed() {
    let model = model();
    let world = World { model: &model, seed: 7, now: now() };
    let (a, _) = run(&world, 300);
    let (b, _) = run(&world, 300);
    assert_eq!(a, b);
    let other = World { model: &model, seed: 8, now: now() };
    assert_ne!(a, run(&other, 300).0);
    assert!(a.iter().all(|(_, e)| e.id.starts_with("sim-7-")));
    let mut ids: Vec<&str> = a.iter().map(|(_, e)| e.id.as_str()).collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "event ids are unique");
}

#[test]
fn baseline_probabilities_and_true_effects_are_honoured() {
    let model = model();
    let world = World { model: &model, seed: 1, now: now() };
    let n = 40_000;
    let (events, visits) = run(&world, n);
    // Customers whose step had its full time before `now` (later ones are cut off by it).
    let times: std::collections::HashMap<(u64, usize), DateTime<Utc>> =
        visits.iter().map(|(i, v)| ((*i, v.stage), v.at)).collect();
    let at = |i: u64, stage: usize| times.get(&(i, stage)).copied();
    let before = |days: i64| now() - Duration::days(days);
    let reached = |stage: &str| -> Vec<u64> {
        let mut who: Vec<u64> =
            events.iter().filter(|(_, e)| e.stage.as_deref() == Some(stage)).map(|(i, _)| *i).collect();
        who.sort_unstable();
        who
    };
    let rate = |from: &[u64], to: &[u64], from_stage: usize, days: i64, parity: Option<u64>| -> f64 {
        let whole: Vec<u64> = from
            .iter()
            .copied()
            .filter(|i| parity.is_none_or(|p| i % 2 == p) && at(*i, from_stage).unwrap() < before(days))
            .collect();
        whole.iter().filter(|i| to.binary_search(i).is_ok()).count() as f64 / whole.len() as f64
    };
    let all: Vec<u64> = (0..n).collect();
    assert_eq!(reached("reach").len() as u64, n);
    let acquired = reached("acquisition");
    let first = rate(&all, &acquired, 0, 14, None);
    assert!((first - 0.40).abs() < 0.01, "reach → acquisition {first}");
    let retained = reached("retention");
    for (parity, expected) in [(0, 0.42), (1, 0.35)] {
        let repeat = rate(&acquired, &retained, 1, 30, Some(parity));
        assert!((repeat - expected).abs() < 0.02, "arm {parity}: acquisition → retention {repeat}, not {expected}");
    }
    let nurtured = rate(&acquired, &reached("nurture"), 1, 30, None);
    assert!((nurtured - 0.5).abs() < 0.02, "side stage {nurtured}");
    let advocates = rate(&retained, &reached("advocacy"), 3, 60, None);
    assert!((advocates - 0.10).abs() < 0.03, "retention → advocacy {advocates}");

    // Every visit and event lies in the past, every retention within the coupon's window.
    assert!(events.iter().all(|(_, e)| e.occurred_at <= now()));
    assert!(visits.iter().all(|(_, v)| v.at <= now()));
    for i in retained {
        let gap = at(i, 3).unwrap() - at(i, 1).unwrap();
        assert!(gap > Duration::zero() && gap <= Duration::days(30), "customer {i}: {gap}");
    }
}

#[test]
fn revenue_effects_and_referrals() {
    let model = model();
    let world = World { model: &model, seed: 3, now: now() };
    let (events, _) = run(&world, 20_000);
    // Orders after the coupon exposure: +50% revenue for coupon10 (the even customers).
    let mean = |parity: u64| {
        let values: Vec<f64> = events
            .iter()
            .filter(|(i, e)| i % 2 == parity && e.kind == "purchase" && e.id != format!("{}-e3", e.customer_id))
            .filter_map(|(_, e)| e.value)
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    let ratio = mean(0) / mean(1);
    assert!((1.3..1.7).contains(&ratio), "revenue ratio {ratio}");
    let referrals: Vec<&SimEvent> = events.iter().map(|(_, e)| e).filter(|e| e.kind == "referral").collect();
    assert!(!referrals.is_empty());
    for r in referrals {
        assert_eq!(r.referred_customer_id.as_deref(), Some(format!("{}-r", r.customer_id).as_str()));
    }
    let friend = world.referred("sim-3-1-r".into());
    assert_eq!(friend.attributes["channel"], "referral");
}
