//! Fixed-horizon Welch t-test on the difference of two means, on the absolute
//! or the relative (delta-method) scale — the method of gbstats'
//! `TwoSidedTTest`, so results are comparable with GrowthBook.
//!
//! Both scales use the Welch–Satterthwaite degrees of freedom of the absolute
//! difference, exactly as gbstats does.

use super::dist::{t_ppf, t_two_sided_p};
use super::result::{finite, Defined, Effect, Undefined};
use super::{Alpha, Moments};
use serde::Serialize;

/// The scale a lift is expressed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Treatment mean minus control mean.
    Absolute,
    /// (Treatment − control) / control.
    Relative,
}

/// A lift and the variance of its estimate, before any test is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// Point estimate.
    pub estimate: f64,
    /// Variance of the point estimate (> 0).
    pub variance: f64,
}

/// Checks that two arms can be compared at all; shared by every test.
pub fn check_arms(a: &Moments, b: &Moments) -> Defined<()> {
    if a.n == 0 || b.n == 0 {
        return Err(Undefined::EmptyArm);
    }
    if a.n < 2 || b.n < 2 {
        return Err(Undefined::TooFewUnits);
    }
    // Welch's test works when only one arm is constant (its term just vanishes);
    // it fails only when both are, because the standard error is then 0.
    if a.variance.max(0.0) + b.variance.max(0.0) <= 0.0 {
        return Err(Undefined::ZeroVariance);
    }
    Ok(())
}

/// The lift of `b` (treatment) over `a` (control) with its variance
/// (gbstats' `frequentist_diff` and `frequentist_variance`).
pub fn difference(a: &Moments, b: &Moments, scale: Scale) -> Defined<Difference> {
    check_arms(a, b)?;
    let (na, nb) = (a.n as f64, b.n as f64);
    let (va, vb) = (a.variance.max(0.0), b.variance.max(0.0));
    let d = match scale {
        Scale::Absolute => Difference { estimate: b.mean - a.mean, variance: va / na + vb / nb },
        Scale::Relative => {
            let m = a.unadjusted_mean;
            if m == 0.0 {
                return Err(Undefined::ZeroControlMean);
            }
            // Delta method for (B − A)/A with independent arms.
            Difference {
                estimate: (b.mean - a.mean) / m,
                variance: vb / (m * m * nb) + va * b.unadjusted_mean.powi(2) / (m.powi(4) * na),
            }
        }
    };
    finite(d.estimate)?;
    // `<= 0` after the finiteness check: NaN cannot reach this comparison.
    if finite(d.variance)? <= 0.0 {
        return Err(Undefined::ZeroVariance);
    }
    Ok(d)
}

/// Welch–Satterthwaite degrees of freedom of the absolute difference.
pub fn welch_dof(a: &Moments, b: &Moments) -> Defined<f64> {
    check_arms(a, b)?;
    let (na, nb) = (a.n as f64, b.n as f64);
    let (sa, sb) = (a.variance.max(0.0) / na, b.variance.max(0.0) / nb);
    let dof = (sa + sb).powi(2) / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    finite(dof)
}

/// Two-sided fixed-horizon Welch t-test of the lift of `b` over `a`.
pub fn fixed_horizon(a: &Moments, b: &Moments, scale: Scale, alpha: Alpha) -> Defined<Effect> {
    let dof = welch_dof(a, b)?;
    let q = t_ppf(1.0 - alpha.get() / 2.0, dof).ok_or(Undefined::NonFinite)?;
    welch(difference(a, b, scale)?, dof, q)
}

/// The absolute and relative tests at once. Both scales share the degrees of
/// freedom and hence the t quantile, the costly part, so this is about half
/// the work of two [`fixed_horizon`] calls.
pub fn fixed_horizon_both(a: &Moments, b: &Moments, alpha: Alpha) -> [Defined<Effect>; 2] {
    let shared = welch_dof(a, b).and_then(|dof| {
        let q = t_ppf(1.0 - alpha.get() / 2.0, dof).ok_or(Undefined::NonFinite)?;
        Ok((dof, q))
    });
    [Scale::Absolute, Scale::Relative].map(|scale| {
        let (dof, q) = shared?;
        welch(difference(a, b, scale)?, dof, q)
    })
}

fn welch(d: Difference, dof: f64, q: f64) -> Defined<Effect> {
    let se = d.variance.sqrt();
    let p = t_two_sided_p(d.estimate / se, dof).ok_or(Undefined::NonFinite)?;
    Effect::new(d.estimate, (d.estimate - q * se, d.estimate + q * se), p, se)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Proportion;

    fn prop(n: u64, c: u64) -> Moments {
        Proportion::new(n, c).unwrap().moments()
    }

    #[test]
    fn issue_example_matches_gbstats() {
        // The example of the issue: 10% vs 11% with 10,000 units each.
        let (a, b) = (prop(10_000, 1_000), prop(10_000, 1_100));
        let abs = fixed_horizon(&a, &b, Scale::Absolute, Alpha::default()).unwrap();
        assert!((abs.estimate - 0.01).abs() < 1e-12);
        assert!((abs.p_value - 0.0211).abs() < 1e-4, "{}", abs.p_value);
        assert!((abs.ci.lower() - 0.0015).abs() < 1e-4);
        let rel = fixed_horizon(&a, &b, Scale::Relative, Alpha::default()).unwrap();
        assert!((rel.estimate - 0.1).abs() < 1e-12);
        assert!((rel.p_value - 0.0279).abs() < 1e-4, "{}", rel.p_value);
        assert!((rel.ci.upper() - 0.1891).abs() < 1e-4);
    }

    #[test]
    fn degenerate_arms_are_undefined_not_nan() {
        let a = prop(0, 0);
        let b = prop(100, 5);
        assert_eq!(fixed_horizon(&a, &b, Scale::Absolute, Alpha::default()), Err(Undefined::EmptyArm));
        assert_eq!(fixed_horizon(&prop(1, 1), &b, Scale::Absolute, Alpha::default()), Err(Undefined::TooFewUnits));
        assert_eq!(
            fixed_horizon(&prop(100, 0), &prop(100, 0), Scale::Absolute, Alpha::default()),
            Err(Undefined::ZeroVariance)
        );
        assert_eq!(
            fixed_horizon(&prop(100, 100), &prop(50, 50), Scale::Absolute, Alpha::default()),
            Err(Undefined::ZeroVariance)
        );
        assert_eq!(
            fixed_horizon(&prop(100, 0), &b, Scale::Relative, Alpha::default()),
            Err(Undefined::ZeroControlMean)
        );
        // One constant arm is fine on the absolute scale.
        let e = fixed_horizon(&prop(100, 0), &b, Scale::Absolute, Alpha::default()).unwrap();
        assert!(e.p_value > 0.0 && e.p_value < 1.0);
    }

    #[test]
    fn both_scales_at_once_equal_separate_calls() {
        let (a, b) = (prop(700, 70), prop(900, 99));
        let [abs, rel] = fixed_horizon_both(&a, &b, Alpha::default());
        assert_eq!(abs, fixed_horizon(&a, &b, Scale::Absolute, Alpha::default()));
        assert_eq!(rel, fixed_horizon(&a, &b, Scale::Relative, Alpha::default()));
        let [x, y] = fixed_horizon_both(&prop(1, 0), &b, Alpha::default());
        assert_eq!((x, y), (Err(Undefined::TooFewUnits), Err(Undefined::TooFewUnits)));
    }

    #[test]
    fn dof_is_between_smaller_arm_and_pooled() {
        let a = prop(50, 10);
        let b = prop(500, 60);
        let dof = welch_dof(&a, &b).unwrap();
        assert!((49.0..=548.0).contains(&dof), "{dof}");
    }
}
