//! A conversion metric: n units exposed, of which some converted.
//!
//! The constructor validates, so a [`Proportion`] never has more conversions than units.

use super::{Moments, StatsError};
use serde::Serialize;

/// A conversion metric: `conversions` of `n` units converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Proportion {
    n: u64,
    conversions: u64,
}

impl Proportion {
    /// A proportion from counts; fails when conversions exceed n.
    pub fn new(n: u64, conversions: u64) -> Result<Self, StatsError> {
        if conversions > n {
            return Err(StatsError::ConversionsExceedN { n, conversions });
        }
        Ok(Self { n, conversions })
    }

    /// A proportion streamed from per-unit outcomes.
    pub fn from_outcomes<I: IntoIterator<Item = bool>>(outcomes: I) -> Self {
        let (mut n, mut conversions) = (0u64, 0u64);
        for converted in outcomes {
            n += 1;
            conversions += u64::from(converted);
        }
        Self { n, conversions }
    }

    /// Units exposed.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Units converted.
    pub fn conversions(&self) -> u64 {
        self.conversions
    }

    /// Conversion rate; 0 when n = 0 (there is nothing to divide, and 0 is what gbstats reports).
    pub fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.conversions as f64 / self.n as f64
        }
    }

    /// Mean and Bernoulli variance p(1−p), the per-unit variance gbstats uses.
    pub fn moments(&self) -> Moments {
        let p = self.rate();
        Moments { n: self.n, mean: p, unadjusted_mean: p, variance: p * (1.0 - p) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportion_rejects_more_conversions_than_units() {
        assert_eq!(Proportion::new(10, 11), Err(StatsError::ConversionsExceedN { n: 10, conversions: 11 }));
        let p = Proportion::new(10, 3).unwrap_or_else(|e| panic!("{e}"));
        assert!((p.moments().variance - 0.21).abs() < 1e-15);
    }

    #[test]
    fn empty_proportion_has_zero_rate() {
        let p = Proportion::from_outcomes([]);
        assert_eq!(p.rate(), 0.0);
        assert_eq!(p.moments().variance, 0.0);
        let q = Proportion::from_outcomes([true, false, true, true]);
        assert_eq!((q.n(), q.conversions()), (4, 3));
    }
}
