//! The report built from hand-made aggregates: every number must be the engine's on those sums.

use super::report::{Outcome, Role};
use super::{build, Input};
use crate::assign::fixtures;
use crate::db::models::results::{Aggregates, DailyCount, FunnelCount, TimeCount, VariantSums};
use crate::domain::lifecycle::{Lifecycle, Stage, StageRules};
use crate::stats::{self, Proportion, Summary};

pub(crate) fn lifecycle() -> Lifecycle {
    let stages: Vec<Stage> = ["reach", "acquisition", "nurture", "retention", "advocacy"]
        .iter()
        .map(|id| Stage { id: id.to_string(), name: id[..1].to_uppercase() + &id[1..], description: String::new() })
        .collect();
    let rules = StageRules::defaults_for(&stages);
    Lifecycle { stages, holdout: 0.0, rules, windows_days: Default::default() }
}

/// Sums for a variant with `n` mature of `exposed` customers and `conversions`.
pub(crate) fn sums(id: i64, exposed: u64, n: u64, conversions: u64) -> VariantSums {
    VariantSums {
        variant_id: id,
        exposed,
        n,
        conversions,
        revenue_sum: conversions as f64 * 40.0,
        revenue_squares: conversions as f64 * 1600.0,
        orders_sum: conversions as f64,
        orders_squares: conversions as f64,
        ..VariantSums::default()
    }
}

/// An experiment with `k` variants (ids 100…) whose aggregates have these (exposed, n, conversions).
pub(crate) fn input_parts(arms: &[(u64, u64, u64)]) -> (crate::db::models::experiments::StoredExperiment, Aggregates) {
    let mut e = fixtures::experiment(1, "exp", "acquisition", &vec![1.0; arms.len()]);
    e.def.metrics.secondary = vec!["revenue".into(), "orders".into()];
    e.def.metrics.guardrails = vec!["revenue".into()];
    let variants = arms.iter().enumerate().map(|(i, &(x, n, c))| sums(100 + i as i64, x, n, c)).collect();
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let aggregates = Aggregates {
        variants,
        funnel: arms
            .iter()
            .enumerate()
            .flat_map(|(i, &(_, n, c))| {
                [
                    FunnelCount { variant_id: 100 + i as i64, furthest: Some(4), customers: c },
                    FunnelCount { variant_id: 100 + i as i64, furthest: Some(3), customers: c / 2 },
                    FunnelCount { variant_id: 100 + i as i64, furthest: None, customers: n - c - c / 2 },
                ]
            })
            .collect(),
        time_to_goal: arms
            .iter()
            .enumerate()
            .flat_map(|(i, &(x, _, c))| {
                [
                    TimeCount { variant_id: 100 + i as i64, event: true, hours: 48.0, customers: c },
                    TimeCount { variant_id: 100 + i as i64, event: false, hours: 720.0, customers: x - c },
                ]
            })
            .collect(),
        daily: (0..arms.len())
            .flat_map(|i| {
                [
                    DailyCount { variant_id: 100 + i as i64, day: day(1), exposed: 10, converted: 1 },
                    DailyCount { variant_id: 100 + i as i64, day: day(2), exposed: 20, converted: 3 },
                ]
            })
            .collect(),
        custom: vec![],
        revenue_cap: None,
    };
    (e, aggregates)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

#[test]
fn numbers_are_the_engines_and_the_winner_is_named() {
    let (e, a) = input_parts(&[(1000, 1000, 100), (1000, 1000, 150)]);
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    let direct = stats::analyze(
        &Summary::from(Proportion::new(1000, 100).unwrap()),
        &[Summary::from(Proportion::new(1000, 150).unwrap())],
        &stats::Options::default(),
    )
    .unwrap();
    let conversion = &r.metrics[0];
    assert_eq!((conversion.metric.as_str(), conversion.role), ("conversion", Role::Primary));
    let t = &conversion.variants[1];
    assert_eq!(t.absolute, direct.treatments[0].absolute);
    assert_eq!(t.relative, direct.treatments[0].relative);
    assert_eq!(t.chance_to_beat_control, direct.treatments[0].chance_to_beat_control);
    assert_eq!(conversion.variants[0].conversions, Some(100));
    // Holm over 3 p-values (conversion, revenue, orders; revenue is reported once, as a guardrail).
    assert_eq!(r.metrics.len(), 3);
    assert_eq!(r.metrics[1].role, Role::Guardrail);
    assert!(t.adjusted_p_value.unwrap() >= t.absolute.unwrap().p_value);
    assert_eq!(r.verdicts[0].outcome, Outcome::Better);
    let text = &r.verdicts[0].text;
    assert!(text.starts_with("v1 raised the retention rate from 10.0% to 15.0% (+50.0%, 95% CI"), "{text}");
    assert!(text.ends_with("Sample ratio looks healthy."), "{text}");
    assert!(!r.srm.mismatch);
    assert_eq!(r.srm.expected, vec![1000.0, 1000.0]);
}

#[test]
fn a_skewed_split_is_flagged_as_untrustworthy() {
    let (e, a) = input_parts(&[(1200, 1200, 120), (1000, 1000, 100)]);
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    assert!(r.srm.mismatch, "{:?}", r.srm);
    assert_eq!(r.verdicts[0].outcome, Outcome::Untrustworthy);
    assert!(r.verdicts[0].text.starts_with("SRM: do not trust these results."));
}

#[test]
fn no_difference_is_not_significant_yet() {
    let (e, a) = input_parts(&[(1000, 1000, 100), (1000, 1000, 102)]);
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    assert_eq!(r.verdicts[0].outcome, Outcome::Inconclusive);
    assert!(r.verdicts[0].text.contains("not significant yet"), "{}", r.verdicts[0].text);
    assert_eq!(r.metrics[0].variants[1].significant, Some(false));
}

#[test]
fn no_mature_customers_means_no_results_yet() {
    let (e, a) = input_parts(&[(30, 0, 0), (30, 0, 0)]);
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    assert_eq!(r.exposures.immature, 60);
    assert_eq!(r.verdicts[0].outcome, Outcome::NoData);
    assert!(r.verdicts[0].text.contains("No results yet"));
    assert!(r.progress.sample_needed.is_none() && r.progress.note.is_some());
}

#[test]
fn guardrail_violations_get_a_verdict() {
    let (e, mut a) = input_parts(&[(1000, 1000, 100), (1000, 1000, 100)]);
    // Treatment revenue: many customers spend less.
    a.variants[0].revenue_sum = 50_000.0;
    a.variants[0].revenue_squares = 3_000_000.0;
    a.variants[1].revenue_sum = 30_000.0;
    a.variants[1].revenue_squares = 1_200_000.0;
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    let revenue = r.metrics.iter().find(|m| m.metric == "revenue").unwrap();
    assert_eq!(revenue.guardrail_violated, Some(true));
    let v = r.verdicts.iter().find(|v| v.role == Role::Guardrail).expect("a guardrail verdict");
    assert!(v.text.starts_with("Guardrail: v1 lowered the revenue per customer from 50.00 to 30.00"), "{}", v.text);
}

#[test]
fn funnel_counts_later_stages_and_step_rates() {
    let (e, a) = input_parts(&[(100, 100, 20), (100, 100, 30)]);
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    assert_eq!(r.funnel.stages, vec!["nurture", "retention", "advocacy"]);
    let control = &r.funnel.variants[0];
    // 20 reached retention (4) and 10 stopped at nurture (3): nurture 30, retention 20, advocacy 0.
    let counts: Vec<u64> = control.steps.iter().map(|s| s.customers).collect();
    assert_eq!(counts, vec![30, 20, 0]);
    assert_eq!(control.steps[1].step_rate, 20.0 / 30.0);
    assert_eq!(control.steps[0].share, 0.3);
}

#[test]
fn time_to_goal_and_progress() {
    let (e, a) = input_parts(&[(100, 100, 20), (100, 100, 30)]);
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    let control = &r.time_to_goal.variants[0];
    assert_eq!(control.curve[0].time, 2.0);
    assert_eq!(control.curve[0].survival, 0.8);
    assert!(r.time_to_goal.variants[1].log_rank.is_some());
    let day2 = &r.progress.daily[1];
    assert_eq!(day2.exposed, vec![20, 20]);
    assert_eq!(day2.cumulative_conversion, vec![4.0 / 30.0, 4.0 / 30.0]);
    let needed = stats::sample_size(0.2, stats::Mde::Relative(0.1), stats::Alpha::default(), 0.8, 2).unwrap();
    assert_eq!(r.progress.sample_needed.map(|s| s.total), Some(needed.total));
    // The last exposures were three weeks ago: no rate to extrapolate from.
    assert_eq!(r.progress.days_remaining, None);
    assert_eq!(r.progress.note.as_deref(), Some("no new exposures in the last 7 days, so the time needed is unknown"));
}

#[test]
fn days_remaining_follow_the_recent_rate_and_the_window() {
    let (e, mut a) = input_parts(&[(100, 100, 20), (100, 100, 30)]);
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    // 1,000 exposures a day over the last 7 full days (500 per variant).
    a.daily = (16..=22)
        .flat_map(|d| [100, 101].map(|id| DailyCount { variant_id: id, day: day(d), exposed: 500, converted: 50 }))
        .collect();
    let l = lifecycle();
    let r = build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: now() });
    let needed = stats::sample_size(0.2, stats::Mde::Relative(0.1), stats::Alpha::default(), 0.8, 2).unwrap();
    let to_sample = (needed.total - 7_000) as f64 / 1_000.0;
    assert_eq!(r.progress.days_to_sample, Some(to_sample.ceil() as u64));
    assert_eq!(r.progress.days_remaining, Some(to_sample.ceil() as u64 + 30));
}
