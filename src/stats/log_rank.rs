//! The log-rank test of equal time-to-transition curves in two arms
//! (lifelines' `logrank_test`).

use super::dist::chi2_sf;
use super::kaplan_meier::Observation;
use super::result::{Defined, Undefined};
use serde::Serialize;

/// The log-rank test of equal survival in two arms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
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
    let mut all: Vec<(f64, bool, bool, f64)> = control
        .iter()
        .map(|o| (o.duration(), o.event(), true, o.count() as f64))
        .chain(treatment.iter().map(|o| (o.duration(), o.event(), false, o.count() as f64)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let units = |obs: &[Observation]| obs.iter().map(|o| o.count() as f64).sum::<f64>();
    let (mut n_a, mut n) = (units(control), units(control) + units(treatment));
    let (mut observed, mut expected, mut variance) = (0u64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < all.len() {
        let t = all[i].0;
        let (mut d, mut d_a, mut left, mut left_a) = (0.0, 0u64, 0.0, 0.0);
        while i < all.len() && all[i].0 == t {
            let (_, event, is_a, count) = all[i];
            left += count;
            if is_a {
                left_a += count;
            }
            if event {
                d += count;
                if is_a {
                    d_a += count as u64;
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
    // Sums of non-negative finite terms: never NaN, so `<= 0` is exhaustive.
    if variance <= 0.0 {
        return Err(Undefined::ZeroVariance);
    }
    let chi_square = (observed as f64 - expected).powi(2) / variance;
    let p_value = chi2_sf(chi_square, 1.0).ok_or(Undefined::NonFinite)?;
    Ok(LogRank { chi_square, p_value, observed_control: observed, expected_control: expected })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(v: &[(f64, bool)]) -> Vec<Observation> {
        v.iter().map(|&(d, e)| Observation::new(d, e).unwrap()).collect()
    }

    #[test]
    fn log_rank_detects_different_curves() {
        let fast: Vec<(f64, bool)> = (1..=30).map(|i| (i as f64, true)).collect();
        let slow: Vec<(f64, bool)> = (1..=30).map(|i| (i as f64 * 3.0, i % 4 != 0)).collect();
        let r = log_rank(&obs(&slow), &obs(&fast)).unwrap();
        assert!(r.p_value < 0.01, "{r:?}");
        let same = log_rank(&obs(&fast), &obs(&fast)).unwrap();
        assert!(same.p_value > 0.99);
        let o = |d: f64, e: bool, c: u64| Observation::grouped(d, e, c).unwrap();
        let grouped_slow: Vec<Observation> = slow.iter().map(|&(d, e)| o(d, e, 1)).collect();
        let fast_grouped = [o(1.0, true, 15), o(1.0, true, 0)];
        let fast_single: Vec<Observation> = (0..15).map(|_| o(1.0, true, 1)).collect();
        assert_eq!(log_rank(&grouped_slow, &fast_grouped), log_rank(&obs(&slow), &fast_single));
        let none = log_rank(&obs(&[(1.0, false)]), &obs(&[(2.0, false)]));
        assert_eq!(none, Err(Undefined::ZeroVariance));
        assert!(Observation::new(-1.0, true).is_err());
    }
}
