//! Where a customer is in the lifecycle: the furthest stage their events prove.
//!
//! A stage event proves its stage. By the lifecycle's rules, the first purchase proves the
//! first-purchase stage (`acquisition`), the second purchase the repeat-purchase stage
//! (`retention`) and the first referral the referral stage (`advocacy`). The customer's stage is
//! the furthest of these, reached when it was first proven. It is derived from all of the
//! customer's events, so late and out-of-order events give the same answer.

use crate::domain::lifecycle::Lifecycle;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What a customer's stored events prove.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// First time each stage was entered, by stage events.
    pub stages: HashMap<String, DateTime<Utc>>,
    /// Time of the first purchase.
    pub first_purchase: Option<DateTime<Utc>>,
    /// Time of the second purchase.
    pub second_purchase: Option<DateTime<Utc>>,
    /// Time of the first referral.
    pub first_referral: Option<DateTime<Utc>>,
}

/// The furthest stage proven and when it was first reached; `None` when nothing is proven.
pub fn furthest(lifecycle: &Lifecycle, evidence: &Evidence) -> Option<(String, DateTime<Utc>)> {
    let rules = &lifecycle.rules;
    let mut candidates: Vec<(&str, DateTime<Utc>)> = evidence.stages.iter().map(|(s, t)| (s.as_str(), *t)).collect();
    let by_rule = [
        (&rules.first_purchase, evidence.first_purchase),
        (&rules.repeat_purchase, evidence.second_purchase),
        (&rules.referral, evidence.first_referral),
    ];
    candidates.extend(by_rule.iter().filter_map(|(stage, time)| Some((stage.as_deref()?, (*time)?))));
    candidates
        .into_iter()
        .filter_map(|(stage, time)| Some((lifecycle.position(stage)?, stage, time)))
        // Furthest stage first; among proofs of it, the earliest.
        .max_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)))
        .map(|(_, stage, time)| (stage.to_string(), time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{Stage, StageRules};

    fn lifecycle() -> Lifecycle {
        let stages: Vec<Stage> = ["reach", "acquisition", "nurture", "retention", "advocacy"]
            .iter()
            .map(|id| Stage { id: id.to_string(), name: id.to_string(), description: String::new() })
            .collect();
        let rules = StageRules::defaults_for(&stages);
        Lifecycle { stages, holdout: 0.0, rules }
    }

    fn t(day: u32) -> DateTime<Utc> {
        format!("2026-11-{day:02}T00:00:00Z").parse().unwrap()
    }

    #[test]
    fn nothing_proves_nothing() {
        assert_eq!(furthest(&lifecycle(), &Evidence::default()), None);
    }

    #[test]
    fn the_furthest_stage_event_wins_at_its_first_time() {
        let mut e = Evidence::default();
        e.stages.insert("reach".into(), t(1));
        e.stages.insert("nurture".into(), t(5));
        assert_eq!(furthest(&lifecycle(), &e), Some(("nurture".into(), t(5))));
    }

    #[test]
    fn purchases_alone_make_a_lifecycle() {
        let mut e = Evidence { first_purchase: Some(t(3)), ..Evidence::default() };
        assert_eq!(furthest(&lifecycle(), &e), Some(("acquisition".into(), t(3))));
        e.second_purchase = Some(t(9));
        assert_eq!(furthest(&lifecycle(), &e), Some(("retention".into(), t(9))));
        e.first_referral = Some(t(12));
        assert_eq!(furthest(&lifecycle(), &e), Some(("advocacy".into(), t(12))));
    }

    #[test]
    fn a_stage_proven_twice_counts_from_the_earlier_proof() {
        let mut e = Evidence { second_purchase: Some(t(9)), first_purchase: Some(t(2)), ..Evidence::default() };
        e.stages.insert("retention".into(), t(7));
        assert_eq!(furthest(&lifecycle(), &e), Some(("retention".into(), t(7))));
    }

    #[test]
    fn rules_can_be_switched_off() {
        let mut l = lifecycle();
        l.rules.repeat_purchase = None;
        let e = Evidence { first_purchase: Some(t(2)), second_purchase: Some(t(9)), ..Evidence::default() };
        assert_eq!(furthest(&l, &e), Some(("acquisition".into(), t(2))));
    }
}
