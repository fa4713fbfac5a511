//! Winsorisation of heavy-tailed metrics (revenue): values above a chosen
//! percentile are capped at it before the test, so one whale cannot swing
//! the result. The cap is taken over all variants pooled, so every arm is
//! capped at the same value and the comparison stays fair.

use super::Mean;
use super::StatsError;

/// The `q`-th percentile (0 ≤ q ≤ 100) with linear interpolation between
/// order statistics (numpy's default). Fails on empty input or a bad q.
pub fn percentile(values: &[f64], q: f64) -> Result<f64, StatsError> {
    if !(0.0..=100.0).contains(&q) {
        return Err(StatsError::OutOfRange { what: "percentile", range: "[0, 100]", value: q });
    }
    if values.is_empty() {
        return Err(StatsError::TooFew { what: "values", min: 1, got: 0 });
    }
    if let Some(&bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(StatsError::NonFinite { what: "value", value: bad });
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q / 100.0;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = h - lo as f64;
    Ok(sorted[lo] + t * (sorted[hi] - sorted[lo]))
}

/// Values with everything above `cap` replaced by `cap`.
pub fn winsorize(values: &[f64], cap: f64) -> Vec<f64> {
    values.iter().map(|&v| v.min(cap)).collect()
}

/// Means of every arm after capping at the pooled `q`-th percentile; also
/// returns the cap so reports can state it.
pub fn winsorized_means(arms: &[&[f64]], q: f64) -> Result<(f64, Vec<Mean>), StatsError> {
    let pooled: Vec<f64> = arms.iter().flat_map(|a| a.iter().copied()).collect();
    let cap = percentile(&pooled, q)?;
    let means = arms.iter().map(|a| Mean::from_values(a.iter().map(|&v| v.min(cap)))).collect::<Result<Vec<_>, _>>()?;
    Ok((cap, means))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        // numpy.percentile(v, 90) = 4 + 0.6·6 = 7.6
        assert!((percentile(&v, 90.0).unwrap() - 7.6).abs() < 1e-12);
        assert_eq!(percentile(&v, 100.0).unwrap(), 10.0);
        assert_eq!(percentile(&v, 0.0).unwrap(), 1.0);
        assert!(percentile(&v, 101.0).is_err());
        assert!(percentile(&[], 50.0).is_err());
    }

    #[test]
    fn capping_reduces_the_whale() {
        let a = [1.0, 2.0, 3.0, 1000.0];
        let b = [1.0, 2.0, 2.0, 3.0];
        let (cap, means) = winsorized_means(&[&a, &b], 90.0).unwrap();
        assert!((3.0..1000.0).contains(&cap));
        assert!(means[0].mean() < 250.0);
        assert_eq!(winsorize(&a, 3.0), vec![1.0, 2.0, 3.0, 3.0]);
    }
}
