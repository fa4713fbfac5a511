//! Time to transition (e.g. trial → paid): Kaplan–Meier survival curves with
//! Greenwood confidence intervals, and the log-rank test between two arms.
//!
//! Units that have not transitioned yet are right-censored at their current
//! exposure time, which is why a plain conversion rate is biased here.

use super::dist::{chi2_sf, norm_ppf};
use super::result::{split, Defined, Interval, Undefined};
use super::summary::finite;
use super::{Alpha, StatsError};
use serde::Serialize;

/// One unit: time observed and whether the transition happened (else censored).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Observation {
    duration: f64,
    event: bool,
}

impl Observation {
    /// An observation; the duration must be finite and ≥ 0.
    pub fn new(duration: f64, event: bool) -> Result<Self, StatsError> {
        finite("duration", duration)?;
        if duration < 0.0 {
            return Err(StatsError::Negative { what: "duration", value: duration });
        }
        Ok(Self { duration, event })
    }

    /// Time observed.
    pub fn duration(&self) -> f64 {
        self.duration
    }

    /// Whether the transition happened.
    pub fn event(&self) -> bool {
        self.event
    }
}

/// One step of the curve, at a distinct observed time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KmPoint {
    /// The time.
    pub time: f64,
    /// Units still at risk just before `time`.
    pub at_risk: u64,
    /// Transitions at `time`.
    pub events: u64,
    /// Units censored at `time`.
    pub censored: u64,
    /// S(time): probability of not having transitioned by `time`.
    pub survival: f64,
    /// Greenwood standard error of S(time).
    pub std_error: f64,
    /// Exponential-Greenwood (log(−log S)) interval, which stays in [0, 1].
    pub ci: Interval,
}

/// A Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KaplanMeier {
    /// Steps in time order.
    pub points: Vec<KmPoint>,
}

/// Counts per distinct time: (time, events, censored), time ascending.
fn table(obs: &[Observation]) -> Vec<(f64, u64, u64)> {
    let mut sorted = obs.to_vec();
    sorted.sort_by(|a, b| a.duration.total_cmp(&b.duration));
    let mut rows: Vec<(f64, u64, u64)> = Vec::new();
    for o in sorted {
        match rows.last_mut() {
            Some(last) if last.0 == o.duration => {
                if o.event {
                    last.1 += 1
                } else {
                    last.2 += 1
                }
            }
            _ => rows.push((o.duration, u64::from(o.event), u64::from(!o.event))),
        }
    }
    rows
}

/// The Kaplan–Meier estimate of `obs` with 1 − α pointwise intervals
/// (lifelines' `KaplanMeierFitter` with its default exponential Greenwood bounds).
pub fn kaplan_meier(obs: &[Observation], alpha: Alpha) -> KaplanMeier {
    let z = norm_ppf(1.0 - alpha.get() / 2.0);
    let mut at_risk = obs.len() as u64;
    let (mut s, mut greenwood) = (1.0f64, 0.0f64);
    let mut points = Vec::new();
    for (time, events, censored) in table(obs) {
        let n = at_risk as f64;
        let d = events as f64;
        s *= 1.0 - d / n;
        // The term d/(n(n−d)) is infinite when everyone left transitions; S is 0
        // then and the term is dropped, as lifelines does.
        if events > 0 && events < at_risk {
            greenwood += d / (n * (n - d));
        }
        let ci = if s <= 0.0 {
            Interval::new(0.0, 0.0)
        } else if s >= 1.0 {
            Interval::new(1.0, 1.0)
        } else {
            let v = s.ln();
            let w = z * greenwood.sqrt() / v;
            Interval::new((-((-v).ln() - w).exp()).exp(), (-((-v).ln() + w).exp()).exp())
        };
        // Every branch above gives finite bounds (0 < S < 1 and a finite Greenwood
        // sum); the fallback only keeps the type total.
        let ci = ci.unwrap_or(Interval::ZERO);
        points.push(KmPoint {
            time,
            at_risk,
            events,
            censored,
            survival: s,
            std_error: s * greenwood.sqrt(),
            ci,
        });
        at_risk -= events + censored;
    }
    KaplanMeier { points }
}

/// The log-rank test of equal survival in two arms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogRank {
    /// χ² statistic with 1 degree of freedom.
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Transitions observed in the control arm.
    pub observed_control: u64,
    /// Transitions expected in the control arm under equal hazards.
    pub expected_control: f64,
}

/// Log-rank test between `control` and `treatment` (lifelines' `logrank_test`).
pub fn log_rank(control: &[Observation], treatment: &[Observation]) -> Defined<LogRank> {
    let mut all: Vec<(f64, bool, bool)> = control
        .iter()
        .map(|o| (o.duration, o.event, true))
        .chain(treatment.iter().map(|o| (o.duration, o.event, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut n_a, mut n) = (control.len() as f64, all.len() as f64);
    let (mut observed, mut expected, mut variance) = (0u64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < all.len() {
        let t = all[i].0;
        let (mut d, mut d_a, mut left, mut left_a) = (0.0, 0u64, 0.0, 0.0);
        while i < all.len() && all[i].0 == t {
            let (_, event, is_a) = all[i];
            left += 1.0;
            if is_a {
                left_a += 1.0;
            }
            if event {
                d += 1.0;
                if is_a {
                    d_a += 1;
                }
            }
            i += 1;
        }
        if d > 0.0 {
            observed += d_a;
            expected += d * n_a / n;
            if n > 1.0 {
                variance += d * (n_a / n) * (1.0 - n_a / n) * (n - d) / (n - 1.0);
            }
        }
        n -= left;
        n_a -= left_a;
    }
    if !(variance > 0.0) {
        return Err(Undefined::ZeroVariance);
    }
    let chi_square = (observed as f64 - expected).powi(2) / variance;
    let p_value = chi2_sf(chi_square, 1.0).ok_or(Undefined::NonFinite)?;
    Ok(LogRank { chi_square, p_value, observed_control: observed, expected_control: expected })
}

/// A treatment's curve and its log-rank comparison with control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalComparison {
    /// The treatment's curve.
    pub curve: KaplanMeier,
    /// Log-rank test against control, when defined.
    pub log_rank: Option<LogRank>,
    /// Why the log-rank test is undefined (no transitions at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_rank_reason: Option<Undefined>,
}

/// Curves for every variant and the log-rank test of each treatment against control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalAnalysis {
    /// Control's curve.
    pub control: KaplanMeier,
    /// Per treatment, in input order.
    pub treatments: Vec<SurvivalComparison>,
}

/// Time-to-transition analysis of a control and several treatments.
pub fn analyze_survival(
    control: &[Observation],
    treatments: &[&[Observation]],
    alpha: Alpha,
) -> SurvivalAnalysis {
    SurvivalAnalysis {
        control: kaplan_meier(control, alpha),
        treatments: treatments
            .iter()
            .map(|t| {
                let (log_rank, log_rank_reason) = split(log_rank(control, t));
                SurvivalComparison { curve: kaplan_meier(t, alpha), log_rank, log_rank_reason }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(v: &[(f64, bool)]) -> Vec<Observation> {
        v.iter().map(|&(d, e)| Observation::new(d, e).unwrap()).collect()
    }

    #[test]
    fn km_by_hand() {
        // Times 1(event), 2(censored), 3(event), 3(event), 4(censored):
        // S(1) = 4/5, S(3) = 4/5 · (1 − 2/3) = 4/15.
        let km = kaplan_meier(
            &obs(&[(1.0, true), (2.0, false), (3.0, true), (3.0, true), (4.0, false)]),
            Alpha::default(),
        );
        let s: Vec<f64> = km.points.iter().map(|p| p.survival).collect();
        assert_eq!(km.points.len(), 4);
        assert!((s[0] - 0.8).abs() < 1e-15 && (s[2] - 4.0 / 15.0).abs() < 1e-15);
        assert_eq!(km.points[2].at_risk, 3);
        for p in &km.points {
            assert!(p.ci.contains(p.survival), "{p:?}");
        }
    }

    #[test]
    fn all_transition_gives_zero_survival_with_finite_interval() {
        let km = kaplan_meier(&obs(&[(1.0, true), (2.0, true)]), Alpha::default());
        let last = km.points[1];
        assert_eq!(last.survival, 0.0);
        assert_eq!((last.ci.lower(), last.ci.upper()), (0.0, 0.0));
        assert!(serde_json::to_string(&km).is_ok());
    }

    #[test]
    fn log_rank_detects_different_curves() {
        let fast: Vec<(f64, bool)> = (1..=30).map(|i| (i as f64, true)).collect();
        let slow: Vec<(f64, bool)> = (1..=30).map(|i| (i as f64 * 3.0, i % 4 != 0)).collect();
        let r = log_rank(&obs(&slow), &obs(&fast)).unwrap();
        assert!(r.p_value < 0.01, "{r:?}");
        let same = log_rank(&obs(&fast), &obs(&fast)).unwrap();
        assert!(same.p_value > 0.99);
        let none = log_rank(&obs(&[(1.0, false)]), &obs(&[(2.0, false)]));
        assert_eq!(none, Err(Undefined::ZeroVariance));
        assert!(Observation::new(-1.0, true).is_err());
    }
}
