//! The entry point the report layer calls once per metric: one control,
//! several treatments, every test the engine offers, one serialisable result.

use super::adjust::{adjust, Correction};
use super::bayesian::{bayesian, Bayesian, GaussianPrior, Risk};
use super::cuped::{adjust_pair, CupedArm};
use super::fisher::{fisher_exact, has_small_cell};
use super::frequentist::{fixed_horizon_both, welch_dof, Scale};
use super::result::{split, Effect, Undefined};
use super::sequential::{sequential, Tuning};
use super::srm::{srm, Srm};
use super::{Alpha, Moments, StatsError, Summary};
use serde::Serialize;

/// How to analyse. Every field is already validated by its type, except the
/// SRM weights, which are checked against the number of arms by [`analyze`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Significance level (1 − α intervals).
    pub alpha: Alpha,
    /// `Some(tuning)` for always-valid (sequential) intervals and p-values.
    pub sequential: Option<Tuning>,
    /// Proper Gaussian prior on the relative lift; flat prior when `None`.
    pub prior: Option<GaussianPrior>,
    /// Correction of the treatments' absolute-lift p-values for multiple comparisons.
    pub correction: Option<Correction>,
    /// Planned traffic weights (control first) for the SRM check; `None` skips it.
    pub srm_weights: Option<Vec<f64>>,
}

/// The control arm as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArmResult {
    /// Units.
    pub n: u64,
    /// Mean (adjusted when CUPED was used).
    pub mean: f64,
    /// Per-unit variance (adjusted when CUPED was used).
    pub variance: f64,
}

impl From<&Moments> for ArmResult {
    fn from(m: &Moments) -> Self {
        Self { n: m.n, mean: m.mean, variance: m.variance }
    }
}

/// One treatment compared with control.
///
/// Each optional quantity is `None` exactly when its `…_reason` says why; the
/// reason fields are left out of JSON when the quantity is defined.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreatmentResult {
    /// Units.
    pub n: u64,
    /// Mean (adjusted when CUPED was used).
    pub mean: f64,
    /// Per-unit variance.
    pub variance: f64,
    /// Treatment − control.
    pub absolute: Option<Effect>,
    /// Why `absolute` is undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absolute_reason: Option<Undefined>,
    /// (Treatment − control) / control.
    pub relative: Option<Effect>,
    /// Why `relative` is undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_reason: Option<Undefined>,
    /// Welch–Satterthwaite degrees of freedom.
    pub degrees_of_freedom: Option<f64>,
    /// Posterior P(treatment beats control).
    pub chance_to_beat_control: Option<f64>,
    /// Expected loss of keeping control / shipping treatment, on `bayesian.scale`.
    pub risk: Option<Risk>,
    /// The full posterior summary.
    pub bayesian: Option<Bayesian>,
    /// Why the Bayesian quantities are undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bayesian_reason: Option<Undefined>,
    /// Fisher's exact p-value, for proportions with an expected cell below 10.
    pub fisher_p_value: Option<f64>,
    /// Absolute-lift p-value adjusted over all treatments, when a correction was asked for.
    pub p_value_adjusted: Option<f64>,
    /// CUPED's θ, when CUPED was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
}

/// The analysis of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Significance level used.
    pub alpha: Alpha,
    /// Whether intervals and p-values are sequential (always valid).
    pub sequential: bool,
    /// Tuning parameter of the confidence sequence, when sequential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
    /// Correction applied to `p_value_adjusted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
    /// The control arm.
    pub control: ArmResult,
    /// Each treatment against control, in input order.
    pub treatments: Vec<TreatmentResult>,
    /// Sample-ratio-mismatch check, when weights were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srm: Option<Srm>,
}

/// Compares one treatment with control on summary moments: the core of
/// [`analyze`], usable directly for adjusted or custom statistics.
pub fn compare(control: &Moments, treatment: &Moments, opts: &Options) -> TreatmentResult {
    let [abs, rel] = match opts.sequential {
        Some(t) => [Scale::Absolute, Scale::Relative].map(|scale| sequential(control, treatment, scale, opts.alpha, t)),
        None => fixed_horizon_both(control, treatment, opts.alpha),
    };
    let (absolute, absolute_reason) = split(abs);
    let (relative, relative_reason) = split(rel);
    let (bayes, bayesian_reason) = split(bayesian(control, treatment, opts.prior, opts.alpha));
    TreatmentResult {
        n: treatment.n,
        mean: treatment.mean,
        variance: treatment.variance,
        absolute,
        absolute_reason,
        relative,
        relative_reason,
        degrees_of_freedom: welch_dof(control, treatment).ok(),
        chance_to_beat_control: bayes.map(|b| b.chance_to_beat_control),
        risk: bayes.map(|b| b.risk),
        bayesian: bayes,
        bayesian_reason,
        fisher_p_value: None,
        p_value_adjusted: None,
        theta: None,
    }
}

/// Analyses one metric: `control` against each of `treatments`.
///
/// Fails only on input that has no meaning (mixed proportion and mean
/// summaries, no treatment, SRM weights that do not fit); degenerate data
/// gives `None` quantities with reasons instead.
pub fn analyze(control: &Summary, treatments: &[Summary], opts: &Options) -> Result<Analysis, StatsError> {
    let same_kind = |s: &Summary| std::mem::discriminant(s) == std::mem::discriminant(control);
    if !treatments.iter().all(same_kind) {
        return Err(StatsError::MixedKinds);
    }
    let c = control.moments();
    let results = treatments
        .iter()
        .map(|t| {
            let mut r = compare(&c, &t.moments(), opts);
            if let (Summary::Proportion(a), Summary::Proportion(b)) = (control, t) {
                if has_small_cell(a, b) {
                    r.fisher_p_value = Some(fisher_exact(a, b));
                }
            }
            r
        })
        .collect();
    finish(&c, results, opts)
}

/// Like [`analyze`], with CUPED: θ is estimated on the pooled data of control
/// and each treatment (as gbstats does per comparison), and the adjusted
/// moments feed the same tests. The reported control moments are adjusted with
/// the first treatment's θ.
pub fn analyze_cuped(control: &CupedArm, treatments: &[CupedArm], opts: &Options) -> Result<Analysis, StatsError> {
    let mut control_moments = control.post().moments();
    let mut results = Vec::with_capacity(treatments.len());
    for (i, t) in treatments.iter().enumerate() {
        let (a, b, theta) = adjust_pair(control, t);
        if i == 0 {
            control_moments = a;
        }
        let mut r = compare(&a, &b, opts);
        r.theta = Some(theta);
        results.push(r);
    }
    finish(&control_moments, results, opts)
}

fn finish(control: &Moments, mut treatments: Vec<TreatmentResult>, opts: &Options) -> Result<Analysis, StatsError> {
    if treatments.is_empty() {
        return Err(StatsError::TooFew { what: "treatments", min: 1, got: 0 });
    }
    let srm = match &opts.srm_weights {
        Some(w) => {
            let observed: Vec<u64> = std::iter::once(control.n).chain(treatments.iter().map(|t| t.n)).collect();
            Some(srm(&observed, Some(w))?)
        }
        None => None,
    };
    if let Some(method) = opts.correction {
        // Only defined p-values take part: an undefined comparison is not a test.
        let idx: Vec<usize> = (0..treatments.len()).filter(|&i| treatments[i].absolute.is_some()).collect();
        let raw: Vec<f64> = idx.iter().filter_map(|&i| treatments[i].absolute.map(|e| e.p_value)).collect();
        for (&i, p) in idx.iter().zip(adjust(&raw, method)?) {
            treatments[i].p_value_adjusted = Some(p);
        }
    }
    Ok(Analysis {
        alpha: opts.alpha,
        sequential: opts.sequential.is_some(),
        tuning: opts.sequential,
        correction: opts.correction,
        control: ArmResult::from(control),
        treatments,
        srm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Mean, Proportion};

    fn prop(n: u64, c: u64) -> Summary {
        Proportion::new(n, c).unwrap().into()
    }

    #[test]
    fn json_has_the_contract_fields() {
        let a = analyze(&prop(10_000, 1_000), &[prop(10_000, 1_100)], &Options::default()).unwrap();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["alpha"], 0.05);
        assert_eq!(v["sequential"], false);
        assert_eq!(v["control"]["n"], 10_000);
        let t = &v["treatments"][0];
        for key in ["n", "mean", "absolute", "relative", "chance_to_beat_control"] {
            assert!(!t[key].is_null(), "{key} missing in {t}");
        }
        assert_eq!(t["absolute"]["ci"].as_array().map(Vec::len), Some(2));
        assert!(t["absolute"]["p_value"].is_number());
        assert!(t["fisher_p_value"].is_null());
    }

    #[test]
    fn zero_control_gives_null_relative_with_reason() {
        let a = analyze(&prop(500, 0), &[prop(500, 4)], &Options::default()).unwrap();
        let v = serde_json::to_value(&a).unwrap();
        let t = &v["treatments"][0];
        assert!(t["relative"].is_null());
        assert!(t["relative_reason"].as_str().unwrap_or("").contains("control mean is 0"));
        assert!(t["absolute"].is_object());
        assert!(t["fisher_p_value"].is_number());
        assert!(!serde_json::to_string(&a).unwrap().contains("NaN"));
    }

    #[test]
    fn mixed_kinds_and_no_treatments_are_errors() {
        let m: Summary = Mean::from_mean_sd(10, 1.0, 1.0).unwrap().into();
        assert_eq!(analyze(&prop(10, 1), &[m], &Options::default()), Err(StatsError::MixedKinds));
        assert!(analyze(&prop(10, 1), &[], &Options::default()).is_err());
    }

    #[test]
    fn correction_and_srm_are_applied() {
        let opts = Options {
            correction: Some(Correction::Holm),
            srm_weights: Some(vec![1.0, 1.0, 1.0]),
            ..Options::default()
        };
        let a = analyze(&prop(1000, 100), &[prop(1000, 130), prop(1000, 105)], &opts).unwrap();
        for t in &a.treatments {
            let raw = t.absolute.map(|e| e.p_value).unwrap();
            assert!(t.p_value_adjusted.unwrap() >= raw);
        }
        assert!(!a.srm.unwrap().mismatch);
        let bad = Options { srm_weights: Some(vec![1.0]), ..Options::default() };
        assert!(analyze(&prop(10, 1), &[prop(10, 2)], &bad).is_err());
    }
}
