use super::*;
use crate::db::models::programme::GroupSize;

fn sums(stage: &str, days: i32, held_out: bool, furthest: Option<i32>, n: u64) -> GroupSums {
    GroupSums {
        stage: stage.into(),
        days,
        held_out,
        furthest,
        n,
        revenue_sum: 10.0 * n as f64,
        revenue_squares: 150.0 * n as f64,
        orders_sum: n as f64,
        orders_squares: 2.0 * n as f64,
        referrals: n / 10,
    }
}

/// 1,000 held-out customers at acquisition, 300 of whom reached retention (position 4) within 30
/// days; 19,000 others, 6,650 of whom did.
fn seeded() -> ProgrammeSums {
    ProgrammeSums {
        groups: vec![
            sums("acquisition", 30, true, Some(4), 300),
            sums("acquisition", 30, true, Some(2), 700),
            sums("acquisition", 30, false, Some(5), 650),
            sums("acquisition", 30, false, Some(4), 6000),
            sums("acquisition", 30, false, None, 12_350),
        ],
        sizes: vec![
            GroupSize { stage: "acquisition".into(), held_out: true, holdout_share: 0.05, n: 1200 },
            GroupSize { stage: "acquisition".into(), held_out: false, holdout_share: 0.05, n: 22_000 },
        ],
        curve: vec![
            CurveCount { stage: "acquisition".into(), held_out: true, days: 5, reached: true, n: 3 },
            CurveCount { stage: "acquisition".into(), held_out: true, days: 90, reached: false, n: 7 },
        ],
    }
}

#[test]
fn the_holdout_is_the_control_and_reaching_counts_later_stages_too() {
    let lifecycle = crate::analysis::tests::lifecycle();
    let p = build(&lifecycle, &seeded(), Alpha::default());
    assert_eq!(p.windows_days, [30, 90]);
    assert_eq!(p.stages.len(), 1);
    let s = &p.stages[0];
    assert_eq!((s.holdout.n, s.rest.n), (1200, 22_000));
    assert_eq!(s.holdout_shares, [0.05]);
    assert!(!s.summary.contains("shares"), "{}", s.summary);
    let metric = |name: &str, days: u32| {
        s.metrics.iter().find(|m| m.report.metric == name && m.window_days == days).map(|m| &m.report)
    };
    let retention = metric("reached:retention", 30).unwrap();
    assert_eq!(retention.variants[0].variant, "holdout");
    assert_eq!((retention.variants[0].n, retention.variants[0].conversions), (1000, Some(300)));
    // Advocacy (position 5) proves retention too.
    assert_eq!((retention.variants[1].n, retention.variants[1].conversions), (19_000, Some(6650)));
    let relative = retention.variants[1].relative.unwrap().estimate;
    assert!((relative - (0.35 / 0.30 - 1.0)).abs() < 1e-12, "{relative}");
    assert!(retention.variants[1].significant.unwrap());
    assert_eq!(metric("reached:advocacy", 30).unwrap().variants[1].conversions, Some(650));
    assert_eq!(metric("reached:nurture", 30).unwrap().variants[0].conversions, Some(300));
    assert_eq!(metric("referral", 30).unwrap().variants[0].conversions, Some(100));
    let revenue = metric("revenue", 30).unwrap();
    assert!((revenue.variants[0].mean - 10.0).abs() < 1e-12);
    // The 90-day window has no mature member: its metrics say so instead of inventing numbers.
    assert!(metric("reached:retention", 90).unwrap().variants.iter().all(|v| v.n == 0));
    assert!(s.summary.starts_with("Customers at Acquisition reached Nurture"), "{}", s.summary);
    let curves = s.next_stage.as_ref().unwrap();
    assert_eq!(curves.stage, "nurture");
    assert!((curves.holdout[0].survival - 0.7).abs() < 1e-12);
    assert!(curves.rest.is_empty());
}

#[test]
fn a_small_holdout_says_how_many_it_needs() {
    assert_eq!(needed(0.3, 100_000, 1_900_000, Alpha::default()), None);
    let n = needed(0.3, 50, 950, Alpha::default()).unwrap();
    // Equal groups need about 3,760 per arm for 30% → 33%; a holdout beside a 19× larger rest needs
    // a little over half of that.
    assert!((1900..2100).contains(&n), "{n}");
    assert_eq!(needed(0.0, 50, 950, Alpha::default()), None);
}

#[test]
fn without_a_holdout_the_sentence_says_what_to_do() {
    let lifecycle = crate::analysis::tests::lifecycle();
    let mut s = seeded();
    s.sizes.retain(|g| !g.held_out);
    s.groups.retain(|g| !g.held_out);
    let p = build(&lifecycle, &s, Alpha::default());
    assert!(p.stages[0].summary.contains("set `holdout`"), "{}", p.stages[0].summary);
}

#[test]
fn members_recorded_under_two_shares_are_said_to_mix() {
    let lifecycle = crate::analysis::tests::lifecycle();
    let mut s = seeded();
    s.sizes.push(GroupSize { stage: "acquisition".into(), held_out: false, holdout_share: 0.1, n: 5 });
    let p = build(&lifecycle, &s, Alpha::default());
    assert_eq!(p.stages[0].holdout_shares, [0.05, 0.1]);
    assert!(p.stages[0].summary.contains("holdout shares of 5.0% and 10.0%"), "{}", p.stages[0].summary);
    assert_eq!(p.stages[0].rest.n, 22_005);
}
