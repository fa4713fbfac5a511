//! Summary statistics of one variant: a [`Proportion`] (n, conversions) or a
//! [`Mean`] (n, sum, sum of squares), and the [`Moments`] every test reads.

use super::{Mean, Proportion, StatsError};
use serde::Serialize;

/// What every test needs from a variant: its size, mean and per-unit variance.
///
/// `unadjusted_mean` differs from `mean` only after CUPED; relative lifts are
/// always taken against the unadjusted control mean (as gbstats does), because
/// the adjusted mean is shifted by an arbitrary θ·x̄ term.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moments {
    /// Units in the variant.
    pub n: u64,
    /// Mean per unit (adjusted, when CUPED was applied).
    pub mean: f64,
    /// Mean per unit before any adjustment.
    pub unadjusted_mean: f64,
    /// Per-unit variance (p(1−p) for a proportion, the n−1 sample variance for a mean).
    pub variance: f64,
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
        assert_eq!(json["kind"], "proportion");
    }
}
