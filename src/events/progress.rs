//! Where a customer is in the lifecycle: the furthest stage their events prove.
//!
//! A stage event proves its stage. By the lifecycle's rules, the first purchase proves the
//! first-purchase stage (`acquisition`), the second purchase the repeat-purchase stage
//! (`retention`) and the first referral the referral stage (`advocacy`). The customer's stage is
//! the furthest of these, reached when it was first proven. It is derived from a summary of all of
//! the customer's events ([`Evidence`]), so late and out-of-order events give the same answer.

use crate::domain::lifecycle::Lifecycle;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a customer's stored events prove, summarised so that a new batch is merged into it
/// without reading the customer's earlier events again.
///
/// Merging is a join: commutative, associative and idempotent (see [`Evidence::merge`]), so the
/// summary is the same whatever order events arrive in, and a summary that already absorbs a
/// batch absorbs it in every later state too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// First time each stage was entered, by stage events.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, DateTime<Utc>>,
    /// The two earliest distinct orders, earliest first: each order counts once, at its first
    /// event (the same order may arrive from two sources, e.g. live and imported).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<Order>,
    /// Time of the first referral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<DateTime<Utc>>,
}

/// An order as evidence: its key (the store's order id, or the event's own id) and first time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The order's key.
    pub key: String,
    /// Its earliest event.
    pub at: DateTime<Utc>,
}

/// Orders kept per customer: enough for the first- and repeat-purchase rules.
const ORDERS_KEPT: usize = 2;

impl Evidence {
    /// Time of the first purchase.
    pub fn first_purchase(&self) -> Option<DateTime<Utc>> {
        self.orders.first().map(|o| o.at)
    }

    /// Time of the second purchase (a different order from the first).
    pub fn second_purchase(&self) -> Option<DateTime<Utc>> {
        self.orders.get(1).map(|o| o.at)
    }

    /// Adds a stage event.
    pub fn add_stage(&mut self, stage: &str, at: DateTime<Utc>) {
        self.merge(&Evidence { stages: BTreeMap::from([(stage.to_string(), at)]), ..Evidence::default() });
    }

    /// Adds a purchase of the order `key`.
    pub fn add_purchase(&mut self, key: &str, at: DateTime<Utc>) {
        self.merge(&Evidence { orders: vec![Order { key: key.to_string(), at }], ..Evidence::default() });
    }

    /// Adds a referral.
    pub fn add_referral(&mut self, at: DateTime<Utc>) {
        self.merge(&Evidence { referral: Some(at), ..Evidence::default() });
    }

    /// Merges `other` into `self` and says whether `self` changed. Every time is the earlier of
    /// the two; the orders are the two earliest of both (an order in both counts once, at its
    /// earlier time; equal times are ordered by key).
    pub fn merge(&mut self, other: &Evidence) -> bool {
        let mut changed = false;
        for (stage, at) in &other.stages {
            match self.stages.get_mut(stage) {
                Some(held) if *held <= *at => {}
                Some(held) => {
                    *held = *at;
                    changed = true;
                }
                None => {
                    self.stages.insert(stage.clone(), *at);
                    changed = true;
                }
            }
        }
        if let Some(at) = other.referral {
            if self.referral.is_none_or(|held| at < held) {
                self.referral = Some(at);
                changed = true;
            }
        }
        if !other.orders.is_empty() {
            let mut orders = self.orders.clone();
            for order in &other.orders {
                match orders.iter_mut().find(|o| o.key == order.key) {
                    Some(held) => held.at = held.at.min(order.at),
                    None => orders.push(order.clone()),
                }
            }
            // Earliest first; equal times by key, so that the result depends only on the orders.
            orders.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
            orders.truncate(ORDERS_KEPT);
            if orders != self.orders {
                self.orders = orders;
                changed = true;
            }
        }
        changed
    }
}

/// The furthest stage proven and when it was first reached; `None` when nothing is proven.
pub fn furthest(lifecycle: &Lifecycle, evidence: &Evidence) -> Option<(String, DateTime<Utc>)> {
    let rules = &lifecycle.rules;
    let mut candidates: Vec<(&str, DateTime<Utc>)> = evidence.stages.iter().map(|(s, t)| (s.as_str(), *t)).collect();
    let by_rule = [
        (&rules.first_purchase, evidence.first_purchase()),
        (&rules.repeat_purchase, evidence.second_purchase()),
        (&rules.referral, evidence.referral),
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
        Lifecycle { stages, holdout: 0.0, rules, windows_days: Default::default() }
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
        let mut e = Evidence::default();
        e.add_purchase("o1", t(3));
        assert_eq!(furthest(&lifecycle(), &e), Some(("acquisition".into(), t(3))));
        e.add_purchase("o2", t(9));
        assert_eq!(furthest(&lifecycle(), &e), Some(("retention".into(), t(9))));
        e.add_referral(t(12));
        assert_eq!(furthest(&lifecycle(), &e), Some(("advocacy".into(), t(12))));
    }

    #[test]
    fn a_stage_proven_twice_counts_from_the_earlier_proof() {
        let mut e = Evidence::default();
        e.add_purchase("o1", t(2));
        e.add_purchase("o2", t(9));
        e.add_stage("retention", t(7));
        assert_eq!(furthest(&lifecycle(), &e), Some(("retention".into(), t(7))));
    }

    #[test]
    fn rules_can_be_switched_off() {
        let mut l = lifecycle();
        l.rules.repeat_purchase = None;
        let mut e = Evidence::default();
        e.add_purchase("o1", t(2));
        e.add_purchase("o2", t(9));
        assert_eq!(furthest(&l, &e), Some(("acquisition".into(), t(2))));
    }

    #[test]
    fn an_order_counts_once_at_its_first_event() {
        let mut e = Evidence::default();
        e.add_purchase("o1", t(5));
        e.add_purchase("o1", t(3));
        assert_eq!((e.first_purchase(), e.second_purchase()), (Some(t(3)), None));
        e.add_purchase("o2", t(4));
        assert_eq!((e.first_purchase(), e.second_purchase()), (Some(t(3)), Some(t(4))));
        // A later third order changes nothing; an earlier one moves the second purchase.
        assert!(!e
            .clone()
            .merge(&Evidence { orders: vec![Order { key: "o3".into(), at: t(8) }], ..Evidence::default() }));
        e.add_purchase("o3", t(1));
        assert_eq!((e.first_purchase(), e.second_purchase()), (Some(t(1)), Some(t(3))));
    }

    #[test]
    fn an_order_dropped_from_the_summary_is_found_again_by_its_earlier_event() {
        // o3 was third (not kept); its earlier event arrives later and makes it the first order.
        let mut e = Evidence::default();
        for (key, day) in [("o1", 4), ("o2", 5), ("o3", 6)] {
            e.add_purchase(key, t(day));
        }
        e.add_purchase("o3", t(2));
        assert_eq!(
            e.orders.iter().map(|o| (o.key.as_str(), o.at)).collect::<Vec<_>>(),
            vec![("o3", t(2)), ("o1", t(4))]
        );
    }

    #[test]
    fn equal_times_are_ordered_by_key_whatever_arrived_first() {
        let mut held = Evidence::default();
        held.add_purchase("b", t(1));
        held.add_purchase("c", t(1));
        let mut other = Evidence::default();
        other.add_purchase("a", t(1));
        let mut x = held.clone();
        assert!(x.merge(&other));
        let mut y = other.clone();
        y.merge(&held);
        assert_eq!(x, y);
        assert_eq!(x.orders.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(!x.merge(&held), "absorbed");
    }

    /// Every event of a small history, as single-event evidence.
    fn history() -> Vec<Evidence> {
        let mut out = Vec::new();
        let mut add = |f: &dyn Fn(&mut Evidence)| {
            let mut e = Evidence::default();
            f(&mut e);
            out.push(e);
        };
        add(&|e| e.add_stage("reach", t(1)));
        add(&|e| e.add_stage("reach", t(3)));
        add(&|e| e.add_purchase("o1", t(6)));
        add(&|e| e.add_purchase("o2", t(4)));
        add(&|e| e.add_purchase("o1", t(2)));
        add(&|e| e.add_purchase("o3", t(5)));
        add(&|e| e.add_purchase("o2", t(7)));
        add(&|e| e.add_referral(t(9)));
        add(&|e| e.add_referral(t(8)));
        out
    }

    #[test]
    fn any_order_and_any_batching_of_events_gives_the_same_evidence() {
        use rand::seq::SliceRandom;
        use rand::{Rng, SeedableRng};
        let events = history();
        let mut expected = Evidence::default();
        for e in &events {
            expected.merge(e);
        }
        assert_eq!(
            expected.orders.iter().map(|o| (o.key.as_str(), o.at)).collect::<Vec<_>>(),
            vec![("o1", t(2)), ("o2", t(4))]
        );
        assert_eq!((expected.stages["reach"], expected.referral), (t(1), Some(t(8))));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let mut shuffled = events.clone();
            shuffled.shuffle(&mut rng);
            // Split into batches, summarise each, then merge the summaries (as ingestion does).
            let mut stored = Evidence::default();
            let mut batch = Evidence::default();
            for e in &shuffled {
                batch.merge(e);
                if rng.random_bool(0.4) {
                    stored.merge(&std::mem::take(&mut batch));
                }
            }
            stored.merge(&batch);
            assert_eq!(stored, expected);
            // Idempotent: merging anything already absorbed changes nothing.
            assert!(!stored.merge(&expected));
            assert!(!stored.clone().merge(&shuffled[0]));
        }
    }

    #[test]
    fn the_summary_round_trips_through_json_and_reads_an_empty_object() {
        let mut e = Evidence::default();
        for x in history() {
            e.merge(&x);
        }
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(serde_json::from_value::<Evidence>(json).unwrap(), e);
        assert_eq!(serde_json::from_str::<Evidence>("{}").unwrap(), Evidence::default());
        assert_eq!(serde_json::to_string(&Evidence::default()).unwrap(), "{}");
    }
}
