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

/// Quantile of Student's t with `dof` degrees of freedom, refined by Newton
/// steps on the CDF because statrs' inverse is only accurate to a few 1e-9.
pub fn t_ppf(p: f64, dof: f64) -> Option<f64> {
    let d = student(dof)?;
    let mut x = d.inverse_cdf(p);
    if !x.is_finite() {
        return None;
    }
    for _ in 0..3 {
        let dens = d.pdf(x);
        if dens <= 0.0 || !dens.is_finite() {
            break;
        }
        // Work in the lower tail for accuracy when p is small.
        let step = (d.cdf(x) - p) / dens;
        if !step.is_finite() {
            break;
        }
        x -= step;
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
