//! Bayesian summary of a lift: chance to beat control and expected loss
//! (risk), from a normal posterior — gbstats' `EffectBayesianABTest`.
//!
//! With a flat prior the posterior of the lift is N(estimate, variance) of the
//! frequentist difference. With a proper Gaussian prior on the relative lift
//! the posterior is the precision-weighted combination of prior and data.

use super::dist::{norm_cdf, norm_pdf, norm_ppf, norm_sf};
use super::frequentist::{difference, Scale};
use super::result::{finite, Defined, Interval, Undefined};
use super::{Alpha, Moments, StatsError};
use serde::Serialize;

/// A proper Gaussian prior N(mean, variance) on the relative lift.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GaussianPrior {
    mean: f64,
    variance: f64,
}

impl GaussianPrior {
    /// A prior; the variance must be positive and both numbers finite.
    pub fn new(mean: f64, variance: f64) -> Result<Self, StatsError> {
        super::summary::finite("prior mean", mean)?;
        super::summary::finite("prior variance", variance)?;
        if variance <= 0.0 {
            return Err(StatsError::OutOfRange { what: "prior variance", range: "(0, ∞)", value: variance });
        }
        Ok(Self { mean, variance })
    }

    /// Prior mean of the relative lift.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Prior variance of the relative lift.
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

/// Expected loss of each decision, in units of the lift's scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Risk {
    /// Expected lift forgone by keeping control: E[max(Δ, 0)].
    pub control: f64,
    /// Expected lift lost by shipping the treatment: E[max(−Δ, 0)].
    pub treatment: f64,
}

/// The posterior of a lift and the decision quantities derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bayesian {
    /// Scale of the lift (relative unless the control mean is 0).
    pub scale: Scale,
    /// Posterior mean of the lift.
    pub expected: f64,
    /// Posterior standard deviation.
    pub std_dev: f64,
    /// Equal-tailed 1 − α credible interval.
    pub ci: Interval,
    /// P(Δ > 0).
    pub chance_to_beat_control: f64,
    /// Expected losses.
    pub risk: Risk,
}

/// Expected losses of N(mu, sigma²): closed forms of gbstats' truncated-normal
/// means, E[max(Δ,0)] = μΦ(μ/σ) + σφ(μ/σ) and E[max(−Δ,0)] = −μΦ(−μ/σ) + σφ(μ/σ).
pub fn risk(mu: f64, sigma: f64) -> Risk {
    let z = mu / sigma;
    let tail = sigma * norm_pdf(z);
    Risk { control: (mu * norm_cdf(z) + tail).max(0.0), treatment: (-mu * norm_sf(z) + tail).max(0.0) }
}

/// Bayesian analysis of the lift of `b` over `a`.
///
/// The lift is relative (the scale of the prior and of GrowthBook's reports).
/// When the control mean is 0 a relative lift does not exist; with a flat
/// prior the analysis then falls back to the absolute scale, but a prior on the
/// relative lift cannot be translated, so that case is undefined.
pub fn bayesian(a: &Moments, b: &Moments, prior: Option<GaussianPrior>, alpha: Alpha) -> Defined<Bayesian> {
    let (scale, data) = match difference(a, b, Scale::Relative) {
        Ok(d) => (Scale::Relative, d),
        Err(Undefined::ZeroControlMean) if prior.is_none() => (Scale::Absolute, difference(a, b, Scale::Absolute)?),
        Err(e) => return Err(e),
    };
    let (mean, precision) = match prior {
        None => (data.estimate, 1.0 / data.variance),
        Some(p) => {
            let precision = 1.0 / data.variance + 1.0 / p.variance;
            let mean = (data.estimate / data.variance + p.mean / p.variance) / precision;
            (mean, precision)
        }
    };
    let sd = finite((1.0 / precision).sqrt())?;
    let mean = finite(mean)?;
    if sd <= 0.0 {
        return Err(Undefined::ZeroVariance);
    }
    let q = norm_ppf(1.0 - alpha.get() / 2.0);
    Ok(Bayesian {
        scale,
        expected: mean,
        std_dev: sd,
        ci: Interval::new(mean - q * sd, mean + q * sd)?,
        chance_to_beat_control: finite(norm_sf(-mean / sd))?.clamp(0.0, 1.0),
        risk: risk(mean, sd),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Proportion;

    fn prop(n: u64, c: u64) -> Moments {
        Proportion::new(n, c).unwrap().moments()
    }

    #[test]
    fn issue_example_chance_to_beat() {
        let r = bayesian(&prop(10_000, 1_000), &prop(10_000, 1_100), None, Alpha::default()).unwrap();
        assert_eq!(r.scale, Scale::Relative);
        assert!((r.chance_to_beat_control - 0.986).abs() < 1e-3);
        assert!(r.risk.treatment < r.risk.control);
    }

    #[test]
    fn risk_is_symmetric_and_matches_definition() {
        let r = risk(0.0, 1.0);
        assert!((r.control - r.treatment).abs() < 1e-15);
        // E[max(Z, 0)] for standard normal Z is 1/√(2π).
        assert!((r.control - 0.398_942_280_401_432_7).abs() < 1e-12);
        let s = risk(0.3, 0.5);
        // E[Δ] = E[max(Δ,0)] − E[max(−Δ,0)].
        assert!((s.control - s.treatment - 0.3).abs() < 1e-12);
    }

    #[test]
    fn prior_shrinks_towards_its_mean() {
        let (a, b) = (prop(1_000, 100), prop(1_000, 130));
        let flat = bayesian(&a, &b, None, Alpha::default()).unwrap();
        let prior = GaussianPrior::new(0.0, 0.01).unwrap();
        let shrunk = bayesian(&a, &b, Some(prior), Alpha::default()).unwrap();
        assert!(shrunk.expected < flat.expected && shrunk.expected > 0.0);
        assert!(shrunk.std_dev < flat.std_dev);
        assert!(GaussianPrior::new(0.0, 0.0).is_err());
    }

    #[test]
    fn zero_control_falls_back_to_absolute_without_prior() {
        let (a, b) = (prop(1_000, 0), prop(1_000, 10));
        let r = bayesian(&a, &b, None, Alpha::default()).unwrap();
        assert_eq!(r.scale, Scale::Absolute);
        assert!(r.chance_to_beat_control > 0.99);
        let prior = GaussianPrior::new(0.0, 0.1).unwrap();
        assert_eq!(bayesian(&a, &b, Some(prior), Alpha::default()), Err(Undefined::ZeroControlMean));
    }
}
