//! Always-valid inference: the asymptotic confidence sequence of Waudby-Smith
//! et al. (2023, arXiv:2103.06476, eq. 9 and the p-value of eq. 155) as
//! implemented in gbstats' `SequentialTwoSidedTTest`.
//!
//! Unlike the fixed-horizon test, the interval stays valid however often the
//! results are looked at, at the cost of being wider.

use super::frequentist::{difference, Scale};
use super::result::{Defined, Effect, Undefined};
use super::{Alpha, Moments, StatsError};
use serde::Serialize;

/// The tuning parameter of the confidence sequence: the total sample size at
/// which it is tightest. Must be positive and finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Tuning(f64);

impl Tuning {
    /// gbstats' default.
    pub const DEFAULT: Tuning = Tuning(5000.0);

    /// A tuning parameter; rejected unless positive and finite.
    pub fn new(t: f64) -> Result<Self, StatsError> {
        if t.is_finite() && t > 0.0 {
            Ok(Self(t))
        } else {
            Err(StatsError::OutOfRange { what: "tuning parameter", range: "(0, ∞)", value: t })
        }
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// ρ of eq. 161: chosen so that the sequence is tightest at `tuning` units.
fn rho(alpha: f64, tuning: f64) -> f64 {
    let l = -2.0 * alpha.ln();
    ((l + (l + 1.0).ln()) / tuning).sqrt()
}

/// Sequential two-sided test of the lift of `b` over `a`.
pub fn sequential(a: &Moments, b: &Moments, scale: Scale, alpha: Alpha, tuning: Tuning) -> Defined<Effect> {
    let d = difference(a, b, scale)?;
    let alpha = alpha.get();
    let n = (a.n + b.n) as f64;
    let rho = rho(alpha, tuning.get());
    let nr2 = n * rho * rho;
    // s² is the per-unit variance of the pooled sample, so s²/N is d.variance.
    let s2 = d.variance * n;
    // width = s·√(2(Nρ²+1)·ln(√(Nρ²+1)/α) / (Nρ)²)  (eq. 9).
    let width = s2.sqrt() * (2.0 * (nr2 + 1.0) * ((nr2 + 1.0).sqrt() / alpha).ln() / (n * rho).powi(2)).sqrt();
    // The e-value is exp(ρ²·N·z²/(2(Nρ²+1)))/√(Nρ²+1) with z² = estimate²/variance;
    // work in logs so that a huge z cannot overflow to ∞.
    let st2 = d.estimate * d.estimate * n / d.variance;
    let log_e = rho * rho * st2 / (2.0 * (nr2 + 1.0)) - 0.5 * (nr2 + 1.0).ln();
    let p = (-log_e).exp().min(1.0);
    if !p.is_finite() {
        return Err(Undefined::NonFinite);
    }
    Effect::new(d.estimate, (d.estimate - width, d.estimate + width), p, d.variance.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::frequentist::fixed_horizon;
    use crate::stats::Proportion;

    fn prop(n: u64, c: u64) -> Moments {
        Proportion::new(n, c).unwrap().moments()
    }

    #[test]
    fn sequential_is_wider_and_more_conservative() {
        let (a, b) = (prop(10_000, 1_000), prop(10_000, 1_100));
        let fixed = fixed_horizon(&a, &b, Scale::Absolute, Alpha::default()).unwrap();
        let seq = sequential(&a, &b, Scale::Absolute, Alpha::default(), Tuning::default()).unwrap();
        assert_eq!(fixed.estimate, seq.estimate);
        assert!(seq.ci.lower() < fixed.ci.lower() && seq.ci.upper() > fixed.ci.upper());
        assert!(seq.p_value > fixed.p_value);
    }

    #[test]
    fn tuning_must_be_positive() {
        assert!(Tuning::new(0.0).is_err());
        assert!(Tuning::new(f64::INFINITY).is_err());
        assert_eq!(Tuning::default().get(), 5000.0);
    }

    #[test]
    fn huge_effects_give_zero_p_not_nan() {
        let (a, b) = (prop(1_000_000, 1_000), prop(1_000_000, 900_000));
        let seq = sequential(&a, &b, Scale::Absolute, Alpha::default(), Tuning::default()).unwrap();
        assert_eq!(seq.p_value, 0.0);
    }
}
