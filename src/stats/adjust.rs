//! Multiple-comparison corrections of p-values: Holm (family-wise error) and
//! Benjamini–Hochberg (false discovery rate), as in statsmodels' `multipletests`.

use super::StatsError;
use serde::{Deserialize, Serialize};

/// A correction method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm's step-down method: controls the family-wise error rate.
    Holm,
    /// Benjamini–Hochberg step-up: controls the false discovery rate.
    BenjaminiHochberg,
}

/// Adjusted p-values, in the order of `p`. Fails on a p-value outside [0, 1].
pub fn adjust(p: &[f64], method: Correction) -> Result<Vec<f64>, StatsError> {
    for &v in p {
        if !(0.0..=1.0).contains(&v) {
            return Err(StatsError::OutOfRange { what: "p-value", range: "[0, 1]", value: v });
        }
    }
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; m];
    match method {
        Correction::Holm => {
            // Step down: the k-th smallest is multiplied by m − k (0-based) and
            // the running maximum keeps the adjusted values in the raw order.
            let mut running = 0.0f64;
            for (k, &i) in order.iter().enumerate() {
                running = running.max(((m - k) as f64 * p[i]).min(1.0));
                adjusted[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            // Step up from the largest: running minimum of p·m/rank.
            let mut running = 1.0f64;
            for (k, &i) in order.iter().enumerate().rev() {
                // m/rank ≥ 1 is formed first so that rounding cannot push the
                // product below the raw p-value (p·m/m can lose an ulp).
                running = running.min(p[i] * (m as f64 / (k + 1) as f64));
                adjusted[i] = running.clamp(p[i], 1.0);
            }
        }
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_by_hand() {
        // Sorted: 0.01·3, 0.02·2, 0.04·1 → 0.03, 0.04, 0.04 (monotone).
        let a = adjust(&[0.04, 0.01, 0.02], Correction::Holm).unwrap();
        let want = [0.04, 0.03, 0.04];
        for (x, y) in a.iter().zip(want) {
            assert!((x - y).abs() < 1e-15, "{a:?}");
        }
    }

    #[test]
    fn bh_by_hand() {
        // 0.01·3/1 = 0.03, 0.02·3/2 = 0.03, 0.04·3/3 = 0.04.
        let a = adjust(&[0.04, 0.01, 0.02], Correction::BenjaminiHochberg).unwrap();
        let want = [0.04, 0.03, 0.03];
        for (x, y) in a.iter().zip(want) {
            assert!((x - y).abs() < 1e-15, "{a:?}");
        }
    }

    #[test]
    fn rejects_bad_p_and_handles_empty() {
        assert!(adjust(&[0.5, 1.5], Correction::Holm).is_err());
        assert!(adjust(&[f64::NAN], Correction::BenjaminiHochberg).is_err());
        assert_eq!(adjust(&[], Correction::Holm).unwrap(), Vec::<f64>::new());
    }
}
