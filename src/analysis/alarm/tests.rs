use super::*;
use crate::analysis::report::Kind;
use rand::{Rng, SeedableRng};

/// Running totals of one arm of a revenue-like guardrail (most customers spend nothing).
#[derive(Default, Clone, Copy)]
struct Arm {
    n: u64,
    sum: f64,
    sum_sq: f64,
}

impl Arm {
    fn add(&mut self, rng: &mut rand::rngs::StdRng, mean_spend: f64, count: usize) {
        for _ in 0..count {
            let spend = if rng.random::<f64>() < 0.2 { rng.random::<f64>() * 2.0 * mean_spend } else { 0.0 };
            self.n += 1;
            self.sum += spend;
            self.sum_sq += spend * spend;
        }
    }

    fn metric(&self, variant: &str) -> VariantMetric {
        let mean = self.sum / self.n as f64;
        let variance = (self.sum_sq - self.n as f64 * mean * mean) / (self.n as f64 - 1.0);
        VariantMetric::plain(variant.into(), self.n, mean, variance.sqrt(), None)
    }
}

fn guardrail(control: &Arm, treatment: &Arm) -> Vec<MetricReport> {
    vec![MetricReport {
        metric: "revenue".into(),
        label: "Revenue per customer".into(),
        role: Role::Guardrail,
        kind: Kind::Mean,
        cuped: false,
        winsorized_at: None,
        guardrail_violated: None,
        variants: vec![control.metric("control"), treatment.metric("treatment")],
    }]
}

/// Looks `looks` times as each arm grows by `per_look` customers; returns whether the always-valid
/// test (and, for comparison, a repeated fixed-horizon test) ever alarmed.
fn watch(seed: u64, treatment_spend: f64, looks: usize, per_look: usize) -> (bool, bool) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut a, mut b) = (Arm::default(), Arm::default());
    let (mut always_valid, mut fixed) = (false, false);
    for _ in 0..looks {
        a.add(&mut rng, 50.0, per_look);
        b.add(&mut rng, treatment_spend, per_look);
        let metrics = guardrail(&a, &b);
        always_valid |= !guardrail_alarms(&metrics, 0.05).is_empty();
        let (ma, mb) = (metrics[0].variants[0].clone(), metrics[0].variants[1].clone());
        let (ma, mb) = (moments(&ma).unwrap(), moments(&mb).unwrap());
        let e = crate::stats::fixed_horizon(&ma, &mb, Scale::Absolute, Alpha::default()).unwrap();
        fixed |= e.estimate < 0.0 && e.p_value < 0.05;
    }
    (always_valid, fixed)
}

/// A/A: looking 20 times, the always-valid test alarms in at most about α of 300 seeded runs,
/// where the repeated fixed-horizon test alarms far more often.
#[test]
fn an_aa_guardrail_watched_every_pass_rarely_alarms() {
    let runs: Vec<(bool, bool)> = (0..300).map(|seed| watch(seed, 50.0, 20, 200)).collect();
    let always_valid = runs.iter().filter(|r| r.0).count();
    let fixed = runs.iter().filter(|r| r.1).count();
    assert!(always_valid <= 9, "{always_valid} of 300 A/A runs alarmed (at most 3% expected one-sided)");
    assert!(fixed > 2 * always_valid.max(5), "peeking with a fixed test: {fixed} alarms vs {always_valid}");
}

#[test]
fn a_harmful_variant_alarms() {
    let caught = (0..50).filter(|seed| watch(*seed, 35.0, 20, 200).0).count();
    assert!(caught >= 45, "a 30% revenue drop was caught in {caught} of 50 runs");
    let alarms = {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (mut a, mut b) = (Arm::default(), Arm::default());
        a.add(&mut rng, 50.0, 4_000);
        b.add(&mut rng, 30.0, 4_000);
        guardrail_alarms(&guardrail(&a, &b), 0.05)
    };
    assert_eq!(alarms.len(), 1);
    assert_eq!((alarms[0].metric.as_str(), alarms[0].variant.as_str()), ("revenue", "treatment"));
    assert!(alarms[0].estimate < 0.0 && alarms[0].p_value < 0.05);
    assert!(alarms[0].sentence().starts_with("guardrail revenue is significantly worse for treatment"));
}

#[test]
fn a_better_variant_or_a_primary_metric_never_alarms() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (mut a, mut b) = (Arm::default(), Arm::default());
    a.add(&mut rng, 50.0, 4_000);
    b.add(&mut rng, 80.0, 4_000);
    assert!(guardrail_alarms(&guardrail(&a, &b), 0.05).is_empty(), "better is no alarm");
    let mut worse = guardrail(&b, &a);
    assert_eq!(guardrail_alarms(&worse, 0.05).len(), 1);
    worse[0].role = Role::Primary;
    assert!(guardrail_alarms(&worse, 0.05).is_empty(), "only guardrails alarm");
}
