//! Guardrail alarms (CONTRACT §7): a guardrail metric significantly worse for a treatment under
//! the always-valid (sequential) test, whatever the experiment's own method. The background watch
//! looks every pass; the confidence sequence stays valid however often it looks, so checking
//! often does not inflate false alarms the way a repeated fixed-horizon test would. Pure.

use super::report::{MetricReport, Role, VariantMetric};
use crate::stats::{sequential, Alpha, Moments, Scale, Tuning};

/// A guardrail that a treatment made significantly worse.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// The metric's key, e.g. `revenue`.
    pub metric: String,
    /// The treatment.
    pub variant: String,
    /// Treatment − control (negative: worse).
    pub estimate: f64,
    /// The always-valid p-value.
    pub p_value: f64,
}

impl Alarm {
    /// One sentence for the audit log, the notification and the experiment page.
    pub fn sentence(&self) -> String {
        format!(
            "guardrail {} is significantly worse for {} (always-valid test: difference {:.4}, {})",
            self.metric,
            self.variant,
            self.estimate,
            super::format::p_is(self.p_value)
        )
    }
}

/// Every guardrail × treatment that is significantly worse at `alpha` under the always-valid test.
pub fn guardrail_alarms(metrics: &[MetricReport], alpha: f64) -> Vec<Alarm> {
    let Ok(alpha) = Alpha::new(alpha) else { return Vec::new() };
    let mut alarms = Vec::new();
    for metric in metrics.iter().filter(|m| m.role == Role::Guardrail) {
        let Some((control, treatments)) = metric.variants.split_first() else { continue };
        let Some(a) = moments(control) else { continue };
        for treatment in treatments {
            let Some(b) = moments(treatment) else { continue };
            let Ok(effect) = sequential(&a, &b, Scale::Absolute, alpha, Tuning::DEFAULT) else { continue };
            if effect.estimate < 0.0 && effect.p_value < alpha.get() {
                alarms.push(Alarm {
                    metric: metric.metric.clone(),
                    variant: treatment.variant.clone(),
                    estimate: effect.estimate,
                    p_value: effect.p_value,
                });
            }
        }
    }
    alarms
}

fn moments(v: &VariantMetric) -> Option<Moments> {
    (v.n >= 2).then(|| Moments::new(v.n, v.mean, v.sd * v.sd).ok()).flatten()
}

#[cfg(test)]
mod tests;
