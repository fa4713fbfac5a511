//! Planning: sample size per variant for a conversion metric, the power
//! reached at a given size, and the days still needed at a given traffic.
//!
//! Normal approximation of the two-proportion test:
//! n = (z₁₋α/₂ + z_power)² (p₁q₁ + p₂q₂) / d² per variant, rounded up.

use super::dist::{norm_cdf, norm_ppf};
use super::{Alpha, StatsError};
use serde::Serialize;

/// The minimum detectable effect, absolute (rate points) or relative to the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mde {
    /// Treatment rate = baseline + d.
    Absolute(f64),
    /// Treatment rate = baseline · (1 + r).
    Relative(f64),
}

/// Sample size needed per variant and in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SampleSize {
    /// Units per variant.
    pub per_variant: u64,
    /// Units over all variants.
    pub total: u64,
}

/// Validated baseline and treatment rates.
fn rates(baseline: f64, mde: Mde) -> Result<(f64, f64), StatsError> {
    if !(baseline > 0.0 && baseline < 1.0) {
        return Err(StatsError::OutOfRange { what: "baseline", range: "(0, 1)", value: baseline });
    }
    let (m, p2) = match mde {
        Mde::Absolute(d) => (d, baseline + d),
        Mde::Relative(r) => (r, baseline * (1.0 + r)),
    };
    if !(p2 > 0.0 && p2 < 1.0) || p2 == baseline || !m.is_finite() {
        return Err(StatsError::InvalidEffect { mde: m, rate: p2 });
    }
    Ok((baseline, p2))
}

fn check_power(power: f64) -> Result<f64, StatsError> {
    if power > 0.0 && power < 1.0 {
        Ok(power)
    } else {
        Err(StatsError::OutOfRange { what: "power", range: "(0, 1)", value: power })
    }
}

/// Units per variant (and in total over `variants` arms) for a two-sided test
/// at level `alpha` to reach `power` against the given effect.
pub fn sample_size(baseline: f64, mde: Mde, alpha: Alpha, power: f64, variants: u32) -> Result<SampleSize, StatsError> {
    let (p1, p2) = rates(baseline, mde)?;
    let power = check_power(power)?;
    if variants < 2 {
        return Err(StatsError::TooFew { what: "variants", min: 2, got: variants as usize });
    }
    let z = norm_ppf(1.0 - alpha.get() / 2.0) + norm_ppf(power);
    let d = p2 - p1;
    let n = z * z * (p1 * (1.0 - p1) + p2 * (1.0 - p2)) / (d * d);
    // Guard against n being an integer plus rounding noise (e.g. 3841.0000000002).
    let per_variant = (n - 1e-9 * n).ceil().max(1.0) as u64;
    Ok(SampleSize { per_variant, total: per_variant * u64::from(variants) })
}

/// Units per variant for a mean metric with per-unit standard deviation `sd`, to detect a shift
/// of `mde` (absolute, or relative to `mean`): n = (z₁₋α/₂ + z_power)² · 2σ² / d², rounded up
/// (the normal approximation of the two-sample test with equal variances).
pub fn sample_size_mean(
    mean: f64,
    sd: f64,
    mde: Mde,
    alpha: Alpha,
    power: f64,
    variants: u32,
) -> Result<SampleSize, StatsError> {
    let power = check_power(power)?;
    if variants < 2 {
        return Err(StatsError::TooFew { what: "variants", min: 2, got: variants as usize });
    }
    if !(sd.is_finite() && sd > 0.0) {
        return Err(StatsError::OutOfRange { what: "standard deviation", range: "(0, ∞)", value: sd });
    }
    let d = match mde {
        Mde::Absolute(d) => d,
        Mde::Relative(r) => r * mean,
    };
    if !(d.is_finite() && d != 0.0) {
        return Err(StatsError::InvalidEffect { mde: d, rate: mean + d });
    }
    let z = norm_ppf(1.0 - alpha.get() / 2.0) + norm_ppf(power);
    let n = z * z * 2.0 * sd * sd / (d * d);
    let per_variant = (n - 1e-9 * n).ceil().max(1.0) as u64;
    Ok(SampleSize { per_variant, total: per_variant * u64::from(variants) })
}

/// Power of the two-sided test with `n` units per variant (both tails counted).
pub fn power_at(baseline: f64, mde: Mde, alpha: Alpha, n: u64) -> Result<f64, StatsError> {
    let (p1, p2) = rates(baseline, mde)?;
    if n == 0 {
        return Ok(alpha.get()); // no data: the test rejects at its nominal rate at best
    }
    let se = ((p1 * (1.0 - p1) + p2 * (1.0 - p2)) / n as f64).sqrt();
    let z = norm_ppf(1.0 - alpha.get() / 2.0);
    let shift = (p2 - p1).abs() / se;
    Ok((norm_cdf(shift - z) + norm_cdf(-shift - z)).clamp(0.0, 1.0))
}

/// Whole days still needed to reach `needed_total` units when `exposed` units
/// are already in and `daily_rate` new units arrive per day.
pub fn days_needed(needed_total: u64, exposed: u64, daily_rate: f64) -> Result<u64, StatsError> {
    if !(daily_rate.is_finite() && daily_rate > 0.0) {
        return Err(StatsError::OutOfRange {
            what: "daily rate of new exposures", range: "(0, ∞)", value: daily_rate
        });
    }
    let remaining = needed_total.saturating_sub(exposed);
    Ok((remaining as f64 / daily_rate).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_sample_size() {
        // 10% → 11%: (1.959964 + 0.841621)² (0.09 + 0.0979) / 0.0001 = 14,748.05…
        let s = sample_size(0.10, Mde::Absolute(0.01), Alpha::default(), 0.8, 2).unwrap();
        assert_eq!(s.per_variant, 14_749);
        assert_eq!(s.total, 29_498);
        let r = sample_size(0.10, Mde::Relative(0.1), Alpha::default(), 0.8, 3).unwrap();
        assert_eq!(r.per_variant, 14_749);
        assert_eq!(r.total, 3 * 14_749);
    }

    #[test]
    fn textbook_sample_size_for_means() {
        // σ = 1, d = 0.5: (1.959964 + 0.841621)² · 2 / 0.25 = 62.79 → 63 per group.
        let s = sample_size_mean(10.0, 1.0, Mde::Absolute(0.5), Alpha::default(), 0.8, 2).unwrap();
        assert_eq!((s.per_variant, s.total), (63, 126));
        let r = sample_size_mean(10.0, 1.0, Mde::Relative(0.05), Alpha::default(), 0.8, 3).unwrap();
        assert_eq!((r.per_variant, r.total), (63, 189));
        assert!(sample_size_mean(10.0, 0.0, Mde::Relative(0.05), Alpha::default(), 0.8, 2).is_err());
        assert!(sample_size_mean(0.0, 1.0, Mde::Relative(0.05), Alpha::default(), 0.8, 2).is_err());
    }

    #[test]
    fn power_at_the_sample_size_reaches_the_target() {
        let mde = Mde::Absolute(0.02);
        let s = sample_size(0.2, mde, Alpha::default(), 0.9, 2).unwrap();
        let reached = power_at(0.2, mde, Alpha::default(), s.per_variant).unwrap();
        let short = power_at(0.2, mde, Alpha::default(), s.per_variant - 50).unwrap();
        assert!(reached >= 0.9 && short < 0.9, "{reached} {short}");
    }

    #[test]
    fn invalid_planning_inputs() {
        let a = Alpha::default();
        assert!(sample_size(0.0, Mde::Absolute(0.01), a, 0.8, 2).is_err());
        assert!(sample_size(0.95, Mde::Absolute(0.1), a, 0.8, 2).is_err());
        assert!(sample_size(0.1, Mde::Absolute(0.0), a, 0.8, 2).is_err());
        assert!(sample_size(0.1, Mde::Absolute(0.01), a, 1.0, 2).is_err());
        assert!(sample_size(0.1, Mde::Absolute(0.01), a, 0.8, 1).is_err());
    }

    #[test]
    fn days() {
        assert_eq!(days_needed(10_000, 4_000, 1_000.0).unwrap(), 6);
        assert_eq!(days_needed(10_000, 4_001, 1_000.0).unwrap(), 6);
        assert_eq!(days_needed(10_000, 12_000, 1_000.0).unwrap(), 0);
        assert!(days_needed(10, 0, 0.0).is_err());
    }
}
