//! Kaplan–Meier survival curves with Greenwood standard errors and
//! exponential-Greenwood (log(−log S)) intervals, as lifelines computes them.
//!
//! Units that have not transitioned yet are right-censored at their current
//! exposure time, which is why a plain conversion rate is biased here.

use super::dist::norm_ppf;
use super::result::Interval;
use super::summary::finite;
use super::{Alpha, StatsError};
use serde::Serialize;

/// One unit (or `count` identical units): time observed and whether the transition happened
/// (else censored).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Observation {
    duration: f64,
    event: bool,
    count: u64,
}

impl Observation {
    /// An observation; the duration must be finite and ≥ 0.
    pub fn new(duration: f64, event: bool) -> Result<Self, StatsError> {
        Self::grouped(duration, event, 1)
    }

    /// `count` units with the same duration and outcome: what a `GROUP BY` in SQL returns, so
    /// that a million customers need not be loaded one by one.
    pub fn grouped(duration: f64, event: bool, count: u64) -> Result<Self, StatsError> {
        finite("duration", duration)?;
        if duration < 0.0 {
            return Err(StatsError::Negative { what: "duration", value: duration });
        }
        Ok(Self { duration, event, count })
    }

    /// Units this observation stands for.
    pub fn count(&self) -> u64 {
        self.count
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
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
    #[schema(value_type = Vec<f64>, min_items = 2, max_items = 2)]
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
                    last.1 += o.count
                } else {
                    last.2 += o.count
                }
            }
            _ if o.event => rows.push((o.duration, o.count, 0)),
            _ => rows.push((o.duration, 0, o.count)),
        }
    }
    rows
}

/// The Kaplan–Meier estimate of `obs` with 1 − α pointwise intervals
/// (lifelines' `KaplanMeierFitter` with its default exponential Greenwood bounds).
pub fn kaplan_meier(obs: &[Observation], alpha: Alpha) -> KaplanMeier {
    let z = norm_ppf(1.0 - alpha.get() / 2.0);
    let mut at_risk: u64 = obs.iter().map(|o| o.count).sum();
    let (mut s, mut greenwood) = (1.0f64, 0.0f64);
    let mut points = Vec::new();
    for (time, events, censored) in table(obs).into_iter().filter(|r| r.1 + r.2 > 0) {
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
        points.push(KmPoint { time, at_risk, events, censored, survival: s, std_error: s * greenwood.sqrt(), ci });
        at_risk -= events + censored;
    }
    KaplanMeier { points }
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
        let km =
            kaplan_meier(&obs(&[(1.0, true), (2.0, false), (3.0, true), (3.0, true), (4.0, false)]), Alpha::default());
        let s: Vec<f64> = km.points.iter().map(|p| p.survival).collect();
        assert_eq!(km.points.len(), 4);
        assert!((s[0] - 0.8).abs() < 1e-15 && (s[2] - 4.0 / 15.0).abs() < 1e-15);
        assert_eq!(km.points[2].at_risk, 3);
        for p in &km.points {
            assert!(p.ci.contains(p.survival), "{p:?}");
        }
    }

    #[test]
    fn grouped_observations_equal_single_ones() {
        let single = obs(&[(1.0, true), (1.0, true), (2.0, false), (3.0, true), (3.0, false), (3.0, false)]);
        let o = |d: f64, e: bool, c: u64| Observation::grouped(d, e, c).unwrap();
        let grouped = [o(3.0, false, 2), o(1.0, true, 2), o(2.0, false, 1), o(3.0, true, 1), o(5.0, true, 0)];
        assert_eq!(kaplan_meier(&single, Alpha::default()), kaplan_meier(&grouped, Alpha::default()));
    }

    #[test]
    fn all_transition_gives_zero_survival_with_finite_interval() {
        let km = kaplan_meier(&obs(&[(1.0, true), (2.0, true)]), Alpha::default());
        let last = km.points[1];
        assert_eq!(last.survival, 0.0);
        assert_eq!((last.ci.lower(), last.ci.upper()), (0.0, 0.0));
        assert!(serde_json::to_string(&km).is_ok());
    }
}
