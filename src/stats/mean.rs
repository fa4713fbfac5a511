//! A continuous metric (revenue, sessions…) summarised by n, mean and the sum
//! of squared deviations, from sums, from mean and SD, or streamed from values.
//!
//! Constructors validate, so sums of squares are never below sum²/n.

use super::summary::finite;
use super::{Moments, StatsError};
use serde::Serialize;

/// A continuous metric (revenue, sessions…) summarised by n, mean and the sum
/// of squared deviations from the mean.
///
/// Deviations are kept instead of the raw sum of squares because the latter
/// cancels catastrophically for large means with small spread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mean {
    n: u64,
    mean: f64,
    /// Σ (x − x̄)², never negative.
    m2: f64,
}

impl Mean {
    /// A mean from n, Σx and Σx² (the form warehouses return).
    pub fn from_sums(n: u64, sum: f64, sum_squares: f64) -> Result<Self, StatsError> {
        finite("sum", sum)?;
        finite("sum of squares", sum_squares)?;
        if n == 0 {
            if sum != 0.0 || sum_squares != 0.0 {
                return Err(StatsError::ImpossibleSums { n, sum, sum_squares });
            }
            return Ok(Self { n, mean: 0.0, m2: 0.0 });
        }
        let nf = n as f64;
        let m2 = sum_squares - sum * sum / nf;
        // Rounding can make a zero-spread sample look slightly negative; only a
        // clearly negative value is a caller error.
        let tolerance = 1e-9 * sum_squares.abs().max(1.0);
        if m2 < -tolerance {
            return Err(StatsError::ImpossibleSums { n, sum, sum_squares });
        }
        Ok(Self { n, mean: sum / nf, m2: m2.max(0.0) })
    }

    /// A mean from n, the mean and the sample standard deviation (n − 1 denominator).
    pub fn from_mean_sd(n: u64, mean: f64, sd: f64) -> Result<Self, StatsError> {
        finite("mean", mean)?;
        finite("standard deviation", sd)?;
        if sd < 0.0 {
            return Err(StatsError::Negative { what: "standard deviation", value: sd });
        }
        let m2 = if n > 1 { sd * sd * (n - 1) as f64 } else { 0.0 };
        let mean = if n == 0 { 0.0 } else { mean };
        Ok(Self { n, mean, m2 })
    }

    /// A mean streamed from raw values (Welford's algorithm, one pass, stable).
    pub fn from_values<I: IntoIterator<Item = f64>>(values: I) -> Result<Self, StatsError> {
        let mut acc = MeanAccumulator::default();
        for v in values {
            acc.push(v)?;
        }
        Ok(acc.finish())
    }

    /// Units.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean per unit (0 when n = 0).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Σx.
    pub fn sum(&self) -> f64 {
        self.mean * self.n as f64
    }

    /// Σx².
    pub fn sum_squares(&self) -> f64 {
        self.m2 + self.n as f64 * self.mean * self.mean
    }

    /// Sample variance with n − 1 denominator; 0 for n ≤ 1 (as gbstats).
    pub fn variance(&self) -> f64 {
        if self.n <= 1 {
            0.0
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// Sample standard deviation.
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Mean and sample variance.
    pub fn moments(&self) -> Moments {
        Moments { n: self.n, mean: self.mean, unadjusted_mean: self.mean, variance: self.variance() }
    }
}

/// Accumulates a [`Mean`] one value at a time (for streaming raw events).
#[derive(Debug, Clone, Copy, Default)]
pub struct MeanAccumulator {
    n: u64,
    mean: f64,
    m2: f64,
}

impl MeanAccumulator {
    /// Adds one value; rejects NaN and infinities, which would poison every later statistic.
    pub fn push(&mut self, x: f64) -> Result<(), StatsError> {
        finite("value", x)?;
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        Ok(())
    }

    /// The summary so far.
    pub fn finish(&self) -> Mean {
        Mean { n: self.n, mean: self.mean, m2: self.m2.max(0.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_and_summed_means_agree() {
        let xs = [1.0, 4.0, 2.5, 10.0, -3.0];
        let streamed = Mean::from_values(xs).unwrap_or_else(|e| panic!("{e}"));
        let sum: f64 = xs.iter().sum();
        let ss: f64 = xs.iter().map(|x| x * x).sum();
        let summed = Mean::from_sums(5, sum, ss).unwrap_or_else(|e| panic!("{e}"));
        assert!((streamed.mean() - summed.mean()).abs() < 1e-12);
        assert!((streamed.variance() - summed.variance()).abs() < 1e-12);
        // numpy.var(xs, ddof=1)
        assert!((streamed.variance() - 22.55).abs() < 1e-12);
    }

    #[test]
    fn mean_from_sd_round_trips() {
        let m = Mean::from_mean_sd(100, 5.0, 2.0).unwrap_or_else(|e| panic!("{e}"));
        assert!((m.sd() - 2.0).abs() < 1e-12);
        assert!((m.sum() - 500.0).abs() < 1e-9);
        assert!(Mean::from_mean_sd(10, 1.0, -1.0).is_err());
        assert!(Mean::from_mean_sd(10, f64::NAN, 1.0).is_err());
    }

    #[test]
    fn impossible_sums_are_rejected() {
        assert!(Mean::from_sums(2, 10.0, 1.0).is_err());
        assert!(Mean::from_sums(0, 1.0, 1.0).is_err());
        assert!(Mean::from_values([1.0, f64::INFINITY]).is_err());
        let single = Mean::from_sums(1, 3.0, 9.0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(single.variance(), 0.0);
    }
}
