//! Time to transition (e.g. trial → paid) per variant: a Kaplan–Meier curve
//! for every arm and the log-rank test of each treatment against control.

use super::kaplan_meier::{kaplan_meier, KaplanMeier, Observation};
use super::log_rank::{log_rank, LogRank};
use super::result::{split, Undefined};
use super::Alpha;
use serde::Serialize;

/// A treatment's curve and its log-rank comparison with control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalComparison {
    /// The treatment's curve.
    pub curve: KaplanMeier,
    /// Log-rank test against control, when defined.
    pub log_rank: Option<LogRank>,
    /// Why the log-rank test is undefined (no transitions at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_rank_reason: Option<Undefined>,
}

/// Curves for every variant and the log-rank test of each treatment against control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalAnalysis {
    /// Control's curve.
    pub control: KaplanMeier,
    /// Per treatment, in input order.
    pub treatments: Vec<SurvivalComparison>,
}

/// Time-to-transition analysis of a control and several treatments.
pub fn analyze_survival(control: &[Observation], treatments: &[&[Observation]], alpha: Alpha) -> SurvivalAnalysis {
    SurvivalAnalysis {
        control: kaplan_meier(control, alpha),
        treatments: treatments
            .iter()
            .map(|t| {
                let (log_rank, log_rank_reason) = split(log_rank(control, t));
                SurvivalComparison { curve: kaplan_meier(t, alpha), log_rank, log_rank_reason }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_comparison_per_treatment() {
        let o = |d: f64, e: bool| Observation::new(d, e).unwrap();
        let control = [o(1.0, true), o(2.0, true), o(3.0, false)];
        let t1 = [o(5.0, true), o(6.0, false)];
        let t2 = [o(1.0, false)];
        let r = analyze_survival(&control, &[&t1, &t2], Alpha::default());
        assert_eq!(r.treatments.len(), 2);
        assert_eq!(r.control.points.len(), 3);
        assert!(r.treatments[0].log_rank.is_some());
        // Treatment 2 has no transitions but control does: still testable.
        assert!(r.treatments[1].log_rank.is_some());
        assert!(r.treatments[0].log_rank_reason.is_none());
    }
}
