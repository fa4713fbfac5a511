//! Properties that must hold for every input, checked with proptest.

use super::*;
use proptest::prelude::*;

fn proportion() -> impl Strategy<Value = Proportion> {
    (0u64..2_000_000)
        .prop_flat_map(|n| (Just(n), 0..=n))
        .prop_map(|(n, c)| Proportion::new(n, c).expect("c ≤ n by construction"))
}

fn small_proportion() -> impl Strategy<Value = Proportion> {
    (0u64..60)
        .prop_flat_map(|n| (Just(n), 0..=n))
        .prop_map(|(n, c)| Proportion::new(n, c).expect("c ≤ n by construction"))
}

fn mean() -> impl Strategy<Value = Mean> {
    (0u64..100_000, -1e4f64..1e4, 0f64..1e3)
        .prop_map(|(n, m, sd)| Mean::from_mean_sd(n, m, sd).expect("finite, sd ≥ 0"))
}

fn moments() -> impl Strategy<Value = Moments> {
    prop_oneof![proportion().prop_map(|p| p.moments()), mean().prop_map(|m| m.moments())]
}

fn options() -> impl Strategy<Value = Options> {
    (0.001f64..0.5, proptest::option::of(100f64..1e6)).prop_map(|(a, t)| Options {
        alpha: Alpha::new(a).expect("in (0, 1)"),
        sequential: t.map(|t| Tuning::new(t).expect("positive")),
        ..Options::default()
    })
}

fn check_effect(e: &Option<Effect>) -> Result<(), TestCaseError> {
    if let Some(e) = e {
        prop_assert!(e.ci.contains(e.estimate), "{e:?}");
        prop_assert!((0.0..=1.0).contains(&e.p_value), "{e:?}");
    }
    Ok(())
}

proptest! {
    // Failures are reported in the test output; no regression files are written
    // outside src/stats.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn intervals_contain_estimates_and_p_values_are_probabilities(
        a in moments(), b in moments(), opts in options()
    ) {
        let r = compare(&a, &b, &opts);
        check_effect(&r.absolute)?;
        check_effect(&r.relative)?;
        prop_assert_eq!(r.absolute.is_none(), r.absolute_reason.is_some());
        prop_assert_eq!(r.relative.is_none(), r.relative_reason.is_some());
        if let Some(bay) = r.bayesian {
            prop_assert!((0.0..=1.0).contains(&bay.chance_to_beat_control));
            prop_assert!(bay.risk.control >= 0.0 && bay.risk.treatment >= 0.0);
            prop_assert!(bay.ci.contains(bay.expected));
        }
        // Whatever the input, the JSON never holds NaN or infinities.
        let json = serde_json::to_string(&r).expect("serialisable");
        prop_assert!(!json.contains("NaN") && !json.contains("inf"), "{}", json);
    }

    #[test]
    fn swapping_arms_flips_the_absolute_lift(a in moments(), b in moments(), opts in options()) {
        let ab = compare(&a, &b, &opts).absolute;
        let ba = compare(&b, &a, &opts).absolute;
        prop_assert_eq!(ab.is_some(), ba.is_some());
        if let (Some(x), Some(y)) = (ab, ba) {
            prop_assert_eq!(x.estimate, -y.estimate);
            prop_assert!((x.p_value - y.p_value).abs() <= 1e-12);
            let tol = 1e-9 * (1.0 + x.ci.upper().abs() + x.ci.lower().abs());
            prop_assert!((x.ci.lower() + y.ci.upper()).abs() <= tol);
            prop_assert!((x.ci.upper() + y.ci.lower()).abs() <= tol);
        }
    }

    #[test]
    fn adjusted_p_values_are_monotone_and_not_below_raw(
        p in proptest::collection::vec(0f64..=1.0, 1..30)
    ) {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
        for method in [Correction::Holm, Correction::BenjaminiHochberg] {
            let adj = adjust(&p, method).expect("p in [0, 1]");
            for (raw, a) in p.iter().zip(&adj) {
                prop_assert!(*a >= *raw && *a <= 1.0, "{method:?} {raw} → {a}");
            }
            for w in order.windows(2) {
                prop_assert!(adj[w[0]] <= adj[w[1]], "{method:?} not monotone: {p:?} → {adj:?}");
            }
        }
    }

    #[test]
    fn fisher_p_is_a_probability(a in small_proportion(), b in small_proportion()) {
        let p = fisher_exact(&a, &b);
        prop_assert!((0.0..=1.0).contains(&p));
        // Fisher's test is symmetric in the arms.
        prop_assert!((p - fisher_exact(&b, &a)).abs() <= 1e-12);
    }

    #[test]
    fn srm_p_is_a_probability(obs in proptest::collection::vec(0u64..100_000, 2..6)) {
        let r = srm(&obs, None).expect("equal weights");
        prop_assert!((0.0..=1.0).contains(&r.p_value) && r.chi_square >= 0.0);
    }

    #[test]
    fn kaplan_meier_is_a_decreasing_probability(
        obs in proptest::collection::vec((0u32..50, any::<bool>()), 0..80)
    ) {
        let obs: Vec<Observation> = obs
            .into_iter()
            .map(|(d, e)| Observation::new(f64::from(d), e).expect("non-negative"))
            .collect();
        let km = kaplan_meier(&obs, Alpha::default());
        let mut last = 1.0;
        for p in &km.points {
            prop_assert!(p.survival <= last && p.survival >= 0.0);
            prop_assert!(p.ci.contains(p.survival) && p.ci.lower() >= 0.0 && p.ci.upper() <= 1.0);
            last = p.survival;
        }
    }
}
