//! Sample ratio mismatch: Pearson's χ² test of the observed units per variant
//! against the planned traffic weights. A mismatch means assignment or
//! logging is broken and the experiment's results cannot be trusted.

use super::dist::chi2_sf;
use super::StatsError;
use serde::Serialize;

/// p-value below which the split is declared a mismatch (GrowthBook's default).
pub const SRM_THRESHOLD: f64 = 0.001;

/// Result of the SRM check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Srm {
    /// P(χ² ≥ observed statistic) with k − 1 degrees of freedom.
    pub p_value: f64,
    /// Pearson's statistic Σ (o − e)² / e.
    pub chi_square: f64,
    /// Whether p < [`SRM_THRESHOLD`].
    pub mismatch: bool,
}

/// SRM check of `observed` units against `weights` (equal weights when `None`).
///
/// Weights need not sum to 1, only to a positive number. A variant with weight
/// 0 is left out of the statistic (as gbstats does) but still counts towards
/// the degrees of freedom.
pub fn srm(observed: &[u64], weights: Option<&[f64]>) -> Result<Srm, StatsError> {
    let k = observed.len();
    if k < 2 {
        return Err(StatsError::TooFew { what: "observed counts", min: 2, got: k });
    }
    let equal = vec![1.0; k];
    let weights = weights.unwrap_or(&equal);
    if weights.len() != k {
        return Err(StatsError::WeightCount { observed: k, weights: weights.len() });
    }
    let total_weight: f64 = weights.iter().sum();
    if !(total_weight.is_finite() && total_weight > 0.0) || weights.iter().any(|w| w.is_nan() || *w < 0.0) {
        return Err(StatsError::WeightSum { sum: total_weight });
    }
    let total: u64 = observed.iter().sum();
    if total == 0 {
        return Ok(Srm { p_value: 1.0, chi_square: 0.0, mismatch: false });
    }
    let chi_square: f64 = observed
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(&o, w)| {
            let e = w / total_weight * total as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum();
    let p_value = chi2_sf(chi_square, (k - 1) as f64).unwrap_or(0.0);
    Ok(Srm { p_value, chi_square, mismatch: p_value < SRM_THRESHOLD })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_split_is_fine_and_skewed_is_not() {
        let ok = srm(&[5000, 5050], None).unwrap();
        assert!(!ok.mismatch && ok.p_value > 0.5);
        let bad = srm(&[5000, 5400], None).unwrap();
        assert!(bad.mismatch, "{bad:?}");
        // χ² = 2·200²/5200
        assert!((bad.chi_square - 2.0 * 40_000.0 / 5200.0).abs() < 1e-9);
    }

    #[test]
    fn weights_are_validated() {
        assert!(matches!(srm(&[1, 2], Some(&[1.0])), Err(StatsError::WeightCount { .. })));
        assert!(matches!(srm(&[1, 2], Some(&[0.0, 0.0])), Err(StatsError::WeightSum { .. })));
        assert!(matches!(srm(&[1, 2], Some(&[-1.0, 2.0])), Err(StatsError::WeightSum { .. })));
        assert!(srm(&[1], None).is_err());
        assert_eq!(srm(&[0, 0], None).unwrap().p_value, 1.0);
    }

    #[test]
    fn unequal_weights() {
        let r = srm(&[2000, 8000], Some(&[0.2, 0.8])).unwrap();
        assert_eq!(r.chi_square, 0.0);
        assert_eq!(r.p_value, 1.0);
    }
}
