//! Summary statistics of one variant: a [`Proportion`] (n, conversions) or a
//! [`Mean`] (n, sum, sum of squares), and the [`Moments`] every test reads.

use super::{Mean, Proportion, StatsError};
use serde::Serialize;

/// What every test needs from a variant: its size, mean and per-unit variance.
///
/// `unadjusted_mean` differs from `mean` only after CUPED; relative lifts are
/// always taken against the unadjusted control mean (as gbstats does), because
/// the adjusted mean is shifted by an arbitrary θ·x̄ term.
///
/// Fields are readable inside the engine but can only be set from outside
/// through [`Moments::new`], which rejects non-finite means and negative or
/// non-finite variances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moments {
    /// Units in the variant.
    pub(crate) n: u64,
    /// Mean per unit (adjusted, when CUPED was applied).
    pub(crate) mean: f64,
    /// Mean per unit before any adjustment.
    pub(crate) unadjusted_mean: f64,
    /// Per-unit variance (p(1−p) for a proportion, the n−1 sample variance for a mean).
    pub(crate) variance: f64,
}

impl Moments {
    /// Moments of a custom statistic (e.g. a ratio metric computed elsewhere).
    pub fn new(n: u64, mean: f64, variance: f64) -> Result<Self, StatsError> {
        Self::adjusted(n, mean, mean, variance)
    }

    /// Moments of a variance-reduced statistic whose mean was shifted away from
    /// `unadjusted_mean`, the denominator of relative lifts.
    pub fn adjusted(n: u64, mean: f64, unadjusted_mean: f64, variance: f64) -> Result<Self, StatsError> {
        finite("mean", mean)?;
        finite("unadjusted mean", unadjusted_mean)?;
        finite("variance", variance)?;
        if variance < 0.0 {
            return Err(StatsError::Negative { what: "variance", value: variance });
        }
        Ok(Self { n, mean, unadjusted_mean, variance })
    }

    /// Units.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean per unit (adjusted, when CUPED was applied).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Mean per unit before any adjustment.
    pub fn unadjusted_mean(&self) -> f64 {
        self.unadjusted_mean
    }

    /// Per-unit variance.
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

/// A variant's summary of either kind, so one entry point can serve every metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Summary {
    /// A conversion metric.
    Proportion(Proportion),
    /// A continuous metric.
    Mean(Mean),
}

impl Summary {
    /// n, mean and per-unit variance.
    pub fn moments(&self) -> Moments {
        match self {
            Summary::Proportion(p) => p.moments(),
            Summary::Mean(m) => m.moments(),
        }
    }
}

impl From<Proportion> for Summary {
    fn from(p: Proportion) -> Self {
        Summary::Proportion(p)
    }
}

impl From<Mean> for Summary {
    fn from(m: Mean) -> Self {
        Summary::Mean(m)
    }
}

pub(crate) fn finite(what: &'static str, value: f64) -> Result<f64, StatsError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(StatsError::NonFinite { what, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_dispatches_to_its_kind() {
        let p: Summary = Proportion::new(4, 1).unwrap().into();
        assert_eq!(p.moments().variance, 0.1875);
        let m: Summary = Mean::from_mean_sd(3, 2.0, 1.5).unwrap().into();
        assert_eq!((m.moments().n, m.moments().mean), (3, 2.0));
        assert!((m.moments().variance - 2.25).abs() < 1e-12);
        assert!(finite("x", f64::NAN).is_err());
        let json = serde_json::to_value(p).unwrap();
        assert!(Moments::new(5, 1.0, -0.1).is_err());
        assert!(Moments::new(5, f64::NAN, 1.0).is_err());
        assert!(Moments::adjusted(5, 1.0, f64::INFINITY, 1.0).is_err());
        assert_eq!(Moments::new(5, 1.0, 0.5).map(|m| m.unadjusted_mean()), Ok(1.0));
        assert_eq!(json["kind"], "proportion");
    }
}
