//! Thin, accurate wrappers over statrs' distributions.
//!
//! They exist so that the rest of the engine never has to think about
//! construction errors (parameters are checked once, here) and so that tail
//! probabilities are taken from the side that does not lose precision.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

fn std_normal() -> Normal {
    // Parameters are constants, so construction cannot fail; fall back to the
    // default (which is also N(0, 1)) rather than panic.
    Normal::new(0.0, 1.0).unwrap_or_default()
}

/// Standard normal CDF Φ(x).
pub fn norm_cdf(x: f64) -> f64 {
    std_normal().cdf(x)
}

/// Standard normal survival function 1 − Φ(x), accurate in the upper tail.
pub fn norm_sf(x: f64) -> f64 {
    std_normal().cdf(-x)
}

/// Standard normal density φ(x).
pub fn norm_pdf(x: f64) -> f64 {
    std_normal().pdf(x)
}

/// Standard normal quantile Φ⁻¹(p) for p in (0, 1), refined by Newton steps
/// because statrs' inverse is accurate only to about 1e-9.
pub fn norm_ppf(p: f64) -> f64 {
    let d = std_normal();
    let mut x = d.inverse_cdf(p);
    for _ in 0..2 {
        let dens = d.pdf(x);
        if !x.is_finite() || dens <= 0.0 {
            break;
        }
        // Take the error from the smaller tail, where the CDF has full precision.
        let err = if x > 0.0 { (1.0 - p) - d.cdf(-x) } else { d.cdf(x) - p };
        x -= err / dens;
    }
    x
}

fn student(dof: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, dof).ok()
}

/// Two-sided tail probability P(|T| ≥ |t|) of Student's t with `dof` degrees
/// of freedom. Computed as 2·F(−|t|) so that tiny p-values keep their digits.
/// `None` when `dof` is not positive and finite.
pub fn t_two_sided_p(t: f64, dof: f64) -> Option<f64> {
    let d = student(dof)?;
    Some((2.0 * d.cdf(-t.abs())).clamp(0.0, 1.0))
}

/// Cornish–Fisher expansion of the t quantile around the normal one
/// (Abramowitz & Stegun 26.7.5); within ~1e-6 for dof ≥ 4, a starting point for Newton.
fn t_ppf_guess(p: f64, dof: f64) -> f64 {
    let z = norm_ppf(p);
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92_160.0;
    z + (g1 + (g2 + (g3 + g4 / dof) / dof) / dof) / dof
}

/// Quantile of Student's t with `dof` degrees of freedom.
///
/// statrs' own inverse is slow (bisection) and accurate to only a few 1e-9, so
/// this uses the Cornish–Fisher expansion: alone for large dof, polished by
/// Newton steps on the CDF for moderate dof, and replaced by statrs' start for
/// very small dof, where the expansion diverges.
pub fn t_ppf(p: f64, dof: f64) -> Option<f64> {
    let d = student(dof)?;
    if dof >= 1000.0 {
        // The omitted O(ν⁻⁵) term is below 1e-12 here, more accurate than
        // Newton on statrs' CDF, which drifts by ~1e-8 for huge dof.
        return Some(t_ppf_guess(p, dof));
    }
    let mut x = if dof >= 4.0 { t_ppf_guess(p, dof) } else { d.inverse_cdf(p) };
    if !x.is_finite() {
        return None;
    }
    for _ in 0..4 {
        let dens = d.pdf(x);
        if dens <= 0.0 || !dens.is_finite() {
            break;
        }
        // Compare in the smaller tail, where the CDF keeps its digits.
        let err = if x > 0.0 { (1.0 - p) - d.cdf(-x) } else { d.cdf(x) - p };
        let step = err / dens;
        if !step.is_finite() {
            break;
        }
        x -= step;
        if step.abs() <= 1e-15 * (1.0 + x.abs()) {
            break;
        }
    }
    Some(x)
}

/// Upper tail P(X ≥ x) of a χ² distribution with `dof` degrees of freedom.
pub fn chi2_sf(x: f64, dof: f64) -> Option<f64> {
    let d = ChiSquared::new(dof).ok()?;
    Some(d.sf(x).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_round_trips() {
        for p in [0.001, 0.025, 0.5, 0.8, 0.975] {
            let x = norm_ppf(p);
            assert!((norm_cdf(x) - p).abs() < 1e-12, "{p} {x}");
        }
        let q = norm_ppf(0.975);
        // scipy.stats.norm.ppf(0.975); statrs agrees to ~1e-11.
        assert!((q - 1.959_963_984_540_054).abs() < 1e-10, "{q}");
    }

    #[test]
    fn t_quantile_is_refined() {
        // scipy.stats.t.ppf(0.975, 10)
        let q = t_ppf(0.975, 10.0).unwrap_or(f64::NAN);
        assert!((q - 2.228_138_851_986_273_5).abs() < 1e-12, "{q}");
        assert!(t_ppf(0.975, 0.0).is_none());
        // scipy.stats.t.ppf: small dof (statrs start) and huge dof (expansion start).
        let small = t_ppf(0.995, 2.0).unwrap_or(f64::NAN);
        assert!((small - 9.924_843_200_918_07).abs() < 1e-10, "{small}");
        let big = t_ppf(0.975, 1e7).unwrap_or(f64::NAN);
        // statrs' normal CDF (erfc) is good to ~1e-11 here, which bounds both.
        assert!((big - 1.959_964_221_767_205).abs() < 1e-10, "{big}");
        let mid = t_ppf(0.95, 1500.0).unwrap_or(f64::NAN);
        assert!((mid - 1.645_870_104_542_525_7).abs() < 1e-10, "{mid}");
        let low = t_ppf(0.025, 30.0).unwrap_or(f64::NAN);
        assert!((low + 2.042_272_456_301_238).abs() < 1e-11, "{low}");
    }

    #[test]
    fn t_p_value_symmetry_and_range() {
        let p = t_two_sided_p(2.0, 30.0).unwrap_or(f64::NAN);
        let q = t_two_sided_p(-2.0, 30.0).unwrap_or(f64::NAN);
        assert_eq!(p, q);
        assert!(p > 0.05 && p < 0.06);
        assert_eq!(t_two_sided_p(0.0, 5.0), Some(1.0));
    }

    #[test]
    fn chi_square_tail() {
        // scipy.stats.chi2.sf(3.841458820694124, 1) = 0.05
        let p = chi2_sf(3.841_458_820_694_124, 1.0).unwrap_or(f64::NAN);
        assert!((p - 0.05).abs() < 1e-12);
    }
}
