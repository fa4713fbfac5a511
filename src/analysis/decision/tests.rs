use super::*;
use crate::analysis::report::Kind;
use crate::stats::Effect;

/// A treatment row: relative lift `lift`, its p-value (raw = adjusted here) and significance.
fn treatment(variant: &str, lift: f64, p: f64, significant: bool) -> VariantMetric {
    let mut v = VariantMetric::plain(variant.into(), 5_000, 0.1 * (1.0 + lift), 0.3, Some(500));
    let effect = Effect::new(lift, (lift - 0.05, lift + 0.05), p, 0.02).unwrap();
    v.absolute = Some(Effect { estimate: lift * 0.1, ..effect });
    v.relative = Some(effect);
    v.adjusted_p_value = Some(p);
    v.significant = Some(significant);
    v
}

fn metric(name: &str, role: Role, treatments: Vec<VariantMetric>) -> MetricReport {
    let mut variants = vec![VariantMetric::plain("control".into(), 5_000, 0.1, 0.3, Some(500))];
    variants.extend(treatments);
    MetricReport {
        metric: name.into(),
        label: format!("{name} rate"),
        role,
        kind: Kind::Proportion,
        cuped: false,
        winsorized_at: None,
        guardrail_violated: None,
        variants,
    }
}

fn srm(mismatch: bool) -> SrmReport {
    let p_value = if mismatch { 1e-6 } else { 0.5 };
    SrmReport { p_value, chi_square: 1.0, mismatch, observed: vec![5_000, 5_400], expected: vec![5_200.0, 5_200.0] }
}

/// Decides with fixed-horizon inference unless `sequential`.
fn decide_on(metrics: &[MetricReport], sequential: bool, sample_reached: bool) -> Decision {
    let healthy = srm(false);
    decide(&Evidence { metrics, srm: &healthy, alpha: 0.05, sequential, sample_reached, days_remaining: Some(12) })
}

const BETTER: (f64, f64, bool) = (0.15, 0.001, true);
const WORSE: (f64, f64, bool) = (-0.15, 0.001, true);
const FLAT: (f64, f64, bool) = (0.01, 0.6, false);

fn primary(arms: &[(&str, (f64, f64, bool))]) -> MetricReport {
    metric("conversion", Role::Primary, arms.iter().map(|(v, (l, p, s))| treatment(v, *l, *p, *s)).collect())
}

#[test]
fn a_sample_ratio_mismatch_means_investigate_and_nothing_else() {
    let metrics = [primary(&[("b", BETTER)])];
    let broken = srm(true);
    let d = decide(&Evidence {
        metrics: &metrics,
        srm: &broken,
        alpha: 0.05,
        sequential: true,
        sample_reached: true,
        days_remaining: None,
    });
    assert_eq!((d.recommendation, d.variant), (Recommendation::Investigate, None));
    assert!(d.reasons[0].starts_with("Sample ratio mismatch"), "{:?}", d.reasons);
}

#[test]
fn a_significantly_better_treatment_is_shipped_once_the_sample_is_reached() {
    let metrics = [primary(&[("b", BETTER)])];
    let d = decide_on(&metrics, false, true);
    assert_eq!((d.recommendation, d.variant.as_deref()), (Recommendation::Ship, Some("b")));
    assert_eq!(d.days_remaining, None);
    let early = decide_on(&metrics, false, false);
    assert_eq!(early.recommendation, Recommendation::KeepRunning, "fixed horizon: not before the sample");
    assert_eq!(early.days_remaining, Some(12));
    let sequential = decide_on(&metrics, true, false);
    assert_eq!(sequential.recommendation, Recommendation::Ship, "always valid: at any time");
}

#[test]
fn better_but_worse_on_a_guardrail_is_rolled_back() {
    let mut guardrail = metric("revenue", Role::Guardrail, vec![treatment("b", -0.2, 0.01, false)]);
    guardrail.kind = Kind::Mean;
    let metrics = [primary(&[("b", BETTER)]), guardrail];
    let d = decide_on(&metrics, true, true);
    assert_eq!((d.recommendation, d.variant.as_deref()), (Recommendation::RollBack, Some("control")));
    assert!(d.reasons.iter().any(|r| r.contains("guardrail revenue rate")), "{:?}", d.reasons);
}

#[test]
fn a_guardrail_that_is_worse_but_not_significantly_does_not_block() {
    let guardrail = metric("revenue", Role::Guardrail, vec![treatment("b", -0.2, 0.2, false)]);
    let metrics = [primary(&[("b", BETTER)]), guardrail];
    assert_eq!(decide_on(&metrics, true, true).recommendation, Recommendation::Ship);
}

#[test]
fn a_significantly_worse_treatment_is_rolled_back_to_the_control() {
    let metrics = [primary(&[("b", WORSE)])];
    for (sequential, reached) in [(false, false), (false, true), (true, false)] {
        let d = decide_on(&metrics, sequential, reached);
        assert_eq!((d.recommendation, d.variant.as_deref()), (Recommendation::RollBack, Some("control")));
    }
}

#[test]
fn nothing_significant_keeps_running_before_the_sample_and_is_inconclusive_after() {
    let metrics = [primary(&[("b", FLAT)])];
    let before = decide_on(&metrics, false, false);
    assert_eq!((before.recommendation, before.days_remaining), (Recommendation::KeepRunning, Some(12)));
    let after = decide_on(&metrics, false, true);
    assert_eq!((after.recommendation, after.variant, after.days_remaining), (Recommendation::Inconclusive, None, None));
    assert_eq!(decide_on(&metrics, true, false).recommendation, Recommendation::KeepRunning);
}

#[test]
fn of_four_variants_the_best_qualifying_treatment_is_shipped() {
    let harmful = treatment("d", 0.3, 0.0001, true);
    let metrics = [
        metric(
            "conversion",
            Role::Primary,
            vec![treatment("b", 0.10, 0.01, true), treatment("c", 0.2, 0.001, true), harmful],
        ),
        metric("revenue", Role::Guardrail, vec![treatment("d", -0.1, 0.001, true)]),
    ];
    let d = decide_on(&metrics, false, true);
    assert_eq!((d.recommendation, d.variant.as_deref()), (Recommendation::Ship, Some("c")), "d harms a guardrail");
    assert!(d.reasons.iter().any(|r| r.contains("2 treatments")), "{:?}", d.reasons);
}

#[test]
fn of_four_variants_one_worse_and_the_rest_flat_is_a_roll_back() {
    let metrics = [primary(&[("b", FLAT), ("c", WORSE), ("d", FLAT)])];
    let d = decide_on(&metrics, false, true);
    assert_eq!(d.recommendation, Recommendation::RollBack);
    assert!(d.reasons[0].starts_with("c lowered"), "{:?}", d.reasons);
}

#[test]
fn an_early_fixed_horizon_winner_does_not_hide_a_harmful_sibling() {
    let metrics = [primary(&[("b", BETTER), ("c", WORSE)])];
    let d = decide_on(&metrics, false, false);
    assert_eq!((d.recommendation, d.variant.as_deref()), (Recommendation::RollBack, Some("control")));
    assert!(d.reasons[0].starts_with("c lowered"), "{:?}", d.reasons);
    assert_eq!(decide_on(&metrics, false, true).variant.as_deref(), Some("b"), "once the sample is reached: ship b");
}
