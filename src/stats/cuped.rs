//! CUPED variance reduction with one pre-exposure covariate (gbstats'
//! `RegressionAdjustedStatistic`).
//!
//! Each unit's metric y is replaced by y − θ·x, where x is the same unit's
//! pre-exposure value and θ = cov(x, y) / var(x) is estimated on the pooled
//! data of the two arms compared. The adjusted means and variances are then
//! handed to the ordinary tests: variance falls by the factor 1 − ρ².

use super::summary::finite;
use super::Mean;
use super::{Moments, StatsError};
use serde::Serialize;

/// One variant's metric (post) and covariate (pre) with their co-moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CupedArm {
    post: Mean,
    pre: Mean,
    /// Σ (x − x̄)(y − ȳ).
    co_moment: f64,
}

impl CupedArm {
    /// From the sums a warehouse returns: n, Σy, Σy², Σx, Σx², Σxy.
    pub fn from_sums(
        n: u64,
        post_sum: f64,
        post_sum_squares: f64,
        pre_sum: f64,
        pre_sum_squares: f64,
        sum_products: f64,
    ) -> Result<Self, StatsError> {
        let post = Mean::from_sums(n, post_sum, post_sum_squares)?;
        let pre = Mean::from_sums(n, pre_sum, pre_sum_squares)?;
        finite("sum of products", sum_products)?;
        let co_moment = if n == 0 { 0.0 } else { sum_products - post_sum * pre_sum / n as f64 };
        Ok(Self { post, pre, co_moment })
    }

    /// Streamed from (post, pre) pairs of each unit (one stable pass).
    pub fn from_pairs<I: IntoIterator<Item = (f64, f64)>>(pairs: I) -> Result<Self, StatsError> {
        let (mut n, mut my, mut mx, mut m2y, mut m2x, mut c) = (0u64, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (y, x) in pairs {
            finite("value", y)?;
            finite("covariate", x)?;
            n += 1;
            let (dy, dx) = (y - my, x - mx);
            my += dy / n as f64;
            mx += dx / n as f64;
            m2y += dy * (y - my);
            m2x += dx * (x - mx);
            c += dx * (y - my);
        }
        let nf = n as f64;
        Self::from_sums(n, my * nf, m2y + nf * my * my, mx * nf, m2x + nf * mx * mx, c + nf * mx * my)
    }

    /// The metric alone, unadjusted.
    pub fn post(&self) -> &Mean {
        &self.post
    }

    /// The covariate alone.
    pub fn pre(&self) -> &Mean {
        &self.pre
    }

    /// Σxy.
    pub fn sum_products(&self) -> f64 {
        self.co_moment + self.post.sum() * self.pre.mean()
    }

    fn covariance(&self) -> f64 {
        if self.post.n() <= 1 {
            0.0
        } else {
            self.co_moment / (self.post.n() - 1) as f64
        }
    }

    /// Moments of y − θx (mean adjusted, unadjusted mean kept for relative lifts).
    /// Fails only if the adjustment overflows.
    pub fn adjusted(&self, theta: f64) -> Result<Moments, StatsError> {
        let variance = self.post.variance() + theta * theta * self.pre.variance() - 2.0 * theta * self.covariance();
        // Mathematically var(y)(1 − ρ²) ≥ 0; clamp the rounding noise.
        Moments::adjusted(
            self.post.n(),
            self.post.mean() - theta * self.pre.mean(),
            self.post.mean(),
            variance.max(0.0),
        )
    }
}

/// θ from the pooled data of `a` and `b` (gbstats' `compute_theta`); 0 when the
/// pooled metric or covariate has no variance, which turns CUPED off.
pub fn theta(a: &CupedArm, b: &CupedArm) -> f64 {
    let n = a.post.n() + b.post.n();
    if n <= 1 {
        return 0.0;
    }
    let nf = n as f64;
    let (sy, sx) = (a.post.sum() + b.post.sum(), a.pre.sum() + b.pre.sum());
    let var = |ss: f64, s: f64| (ss - s * s / nf) / (nf - 1.0);
    let var_y = var(a.post.sum_squares() + b.post.sum_squares(), sy);
    let var_x = var(a.pre.sum_squares() + b.pre.sum_squares(), sx);
    if var_x <= 0.0 || var_y <= 0.0 {
        return 0.0;
    }
    let cov = (a.sum_products() + b.sum_products() - sx * sy / nf) / (nf - 1.0);
    let t = cov / var_x;
    if t.is_finite() {
        t
    } else {
        0.0
    }
}

/// Adjusted moments of control and treatment, and the θ used.
///
/// Should the adjustment overflow (absurdly large values), CUPED is turned off
/// (θ = 0) rather than fail: the unadjusted test is still valid.
pub fn adjust_pair(control: &CupedArm, treatment: &CupedArm) -> (Moments, Moments, f64) {
    let t = theta(control, treatment);
    match (control.adjusted(t), treatment.adjusted(t)) {
        (Ok(a), Ok(b)) => (a, b, t),
        _ => (control.post.moments(), treatment.post.moments(), 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(pairs: &[(f64, f64)]) -> CupedArm {
        CupedArm::from_pairs(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn perfectly_predicted_metric_loses_its_variance() {
        // y = 2x + arm effect: θ = 2 and the adjusted variance is 0 in each arm.
        let a = arm(&[(2.0, 1.0), (4.0, 2.0), (6.0, 3.0)]);
        let b = arm(&[(3.0, 1.0), (5.0, 2.0), (7.0, 3.0)]);
        let (ma, mb, t) = adjust_pair(&a, &b);
        assert!((t - 2.0).abs() < 0.2, "{t}"); // pooled θ is pulled a bit by the arm shift
        assert!(ma.variance < a.post().variance() && mb.variance < b.post().variance());
        assert!((ma.unadjusted_mean - 4.0).abs() < 1e-12);
        assert!(((mb.mean - ma.mean) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn sums_and_pairs_agree() {
        let pairs = [(1.0, 0.5), (3.0, 1.0), (2.0, 2.0), (8.0, 3.5)];
        let p = arm(&pairs);
        let s = CupedArm::from_sums(
            4,
            pairs.iter().map(|p| p.0).sum(),
            pairs.iter().map(|p| p.0 * p.0).sum(),
            pairs.iter().map(|p| p.1).sum(),
            pairs.iter().map(|p| p.1 * p.1).sum(),
            pairs.iter().map(|p| p.0 * p.1).sum(),
        )
        .unwrap();
        assert!((p.sum_products() - s.sum_products()).abs() < 1e-9);
        let (x, y) = (p.adjusted(0.7).unwrap(), s.adjusted(0.7).unwrap());
        assert!((x.variance - y.variance).abs() < 1e-9 && (x.mean - y.mean).abs() < 1e-12);
    }

    #[test]
    fn constant_covariate_turns_cuped_off() {
        let a = arm(&[(1.0, 5.0), (2.0, 5.0)]);
        let b = arm(&[(3.0, 5.0), (4.0, 5.0)]);
        assert_eq!(theta(&a, &b), 0.0);
    }
}
