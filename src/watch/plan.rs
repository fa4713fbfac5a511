//! What one look at an experiment calls for: pure, from its status, schedule, guardrail action,
//! the analysis now and what the watch saw last time.

use crate::analysis::{Alarm, Recommendation, Report};
use crate::db::models::watch_state::Seen;
use crate::domain::experiment::{GuardrailAction, Schedule, Status};
use crate::domain::notice::EventType;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// What the analysis says now (running and paused experiments).
#[derive(Debug, Clone)]
pub struct Findings {
    /// The decision.
    pub recommendation: Recommendation,
    /// Its variant.
    pub variant: Option<String>,
    /// Its reasons.
    pub reasons: Vec<String>,
    /// The planned sample is reached.
    pub sample_reached: bool,
    /// The SRM p-value, and whether it mismatches.
    pub srm: (f64, bool),
    /// Guardrails significantly worse under the always-valid test.
    pub alarms: Vec<Alarm>,
}

impl Findings {
    /// The findings of a report.
    pub fn of(report: &Report) -> Findings {
        let sample_reached = report.progress.sample_needed.as_ref().is_some_and(|s| {
            !report.exposures.variants.is_empty() && report.exposures.variants.iter().all(|v| v.mature >= s.per_variant)
        });
        Findings {
            recommendation: report.decision.recommendation,
            variant: report.decision.variant.clone(),
            reasons: report.decision.reasons.clone(),
            sample_reached,
            srm: (report.srm.p_value, report.srm.mismatch),
            alarms: crate::analysis::guardrail_alarms(&report.metrics, report.alpha),
        }
    }
}

/// One look.
#[derive(Debug, Clone)]
pub struct Look<'a> {
    /// Status now.
    pub status: Status,
    /// Its schedule.
    pub schedule: &'a Schedule,
    /// What a guardrail alarm does.
    pub action: GuardrailAction,
    /// Now.
    pub now: DateTime<Utc>,
    /// The analysis, for running and paused experiments.
    pub findings: Option<&'a Findings>,
    /// What was seen last time (`None`: never looked at).
    pub seen: Option<&'a Seen>,
}

/// What to do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Steps {
    /// A status change stagelab makes, with its reason.
    pub status: Option<(Status, String)>,
    /// A guardrail alarm to write to the audit log (with the action taken).
    pub guardrail: Option<Value>,
    /// Notifications to write (type and data); status changes are notified with the change.
    pub notices: Vec<(EventType, Value)>,
    /// What to remember (`None`: nothing new to remember).
    pub seen: Option<Seen>,
}

/// The steps one look calls for, for experiment `id`.
pub fn look(id: i64, l: &Look<'_>) -> Steps {
    let mut steps = Steps::default();
    let sample_reached = l.findings.is_some_and(|f| f.sample_reached);
    if let Some(due) = l.schedule.due(l.status, l.now, sample_reached) {
        steps.status = Some((due.to, due.note.to_string()));
    }
    let Some(f) = l.findings else { return steps };
    let before = l.seen.cloned().unwrap_or(Seen { experiment_id: id, ..Seen::default() });
    let mut seen = before.clone();

    if l.status == Status::Running {
        match f.alarms.first() {
            Some(alarm) if before.guardrail.is_none() => {
                let sentence = alarm.sentence();
                let action = l.action.as_str();
                let data = json!({"metric": alarm.metric, "variant": alarm.variant, "estimate": alarm.estimate,
                                  "p_value": alarm.p_value, "action": action, "actor": "stagelab", "reason": sentence});
                let note = match l.action {
                    GuardrailAction::Warn => None,
                    GuardrailAction::Pause => {
                        Some((Status::Paused, format!("the guardrail action paused it: {sentence}")))
                    }
                    GuardrailAction::Stop => {
                        Some((Status::Stopped, format!("the guardrail action stopped it: {sentence}")))
                    }
                };
                if steps.status.is_none() {
                    steps.status = note;
                }
                steps.guardrail = Some(data.clone());
                steps.notices.push((EventType::Guardrail, data));
                seen.guardrail = Some(format!("{sentence} (action: {action})"));
            }
            Some(_) => {}
            None => seen.guardrail = None,
        }
    }
    let (srm_p, mismatch) = f.srm;
    if mismatch && !before.srm {
        let reason = format!("the sample ratio mismatches ({})", crate::analysis::format::p_is(srm_p));
        steps.notices.push((EventType::Srm, json!({"p_value": srm_p, "reason": reason})));
    }
    seen.srm = mismatch;
    let recommendation = f.recommendation.as_str();
    if before.recommendation.as_deref() != Some(recommendation) {
        // The first look notifies only a recommendation worth acting on.
        if l.seen.is_some() || f.recommendation != Recommendation::KeepRunning {
            steps.notices.push((
                EventType::Decision,
                json!({"recommendation": recommendation, "variant": f.variant, "reasons": f.reasons,
                       "previous": before.recommendation}),
            ));
        }
        seen.recommendation = Some(recommendation.to_string());
    }
    if seen != before || l.seen.is_none() {
        steps.seen = Some(seen);
    }
    steps
}

#[cfg(test)]
mod tests;
