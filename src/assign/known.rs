//! A bounded in-memory cache of returning customers, so that their assignments are answered with
//! no database round trip.
//!
//! It stays correct because what it relies on never changes: an exposure, once stored, is the
//! customer's variant for as long as the experiment runs. The cache is used only when every
//! experiment the request could get already has a stored exposure for the customer (see
//! [`covers`]), so targeting, traffic and holdout (which need fresh facts) cannot matter. Otherwise
//! the request takes the full path through the database.

use super::snapshot::Snapshot;
use quick_cache::sync::Cache;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// What this node knows for sure about a customer.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Stored exposures: experiment id → variant id.
    pub exposures: HashMap<i64, i64>,
    /// Attributes as last stored through this node.
    pub attributes: Map<String, Value>,
    /// Segment as last stored through this node.
    pub segment: Option<String>,
    /// Stages at which the customer's programme membership is stored.
    pub members: Vec<String>,
}

/// The cache (cheap to share).
pub struct KnownCustomers {
    cache: Cache<String, Arc<Known>>,
}

impl KnownCustomers {
    /// A cache of at most `capacity` customers.
    pub fn new(capacity: usize) -> KnownCustomers {
        KnownCustomers { cache: Cache::new(capacity) }
    }

    /// What is known about a customer.
    pub fn get(&self, customer_id: &str) -> Option<Arc<Known>> {
        self.cache.get(customer_id)
    }

    /// Remembers a customer.
    pub fn put(&self, customer_id: String, known: Known) {
        self.cache.insert(customer_id, Arc::new(known));
    }
}

/// Whether the stored exposures decide the whole answer: every experiment at `stage` (within the
/// filter) that could take the customer, and every experiment with an override for them, already
/// has their exposure.
pub fn covers(snapshot: &Snapshot, customer_id: &str, stage: &str, only: Option<&[String]>, known: &Known) -> bool {
    let wanted = |key: &str| only.is_none_or(|keys| keys.iter().any(|k| k == key));
    let at_stage = snapshot.by_stage.get(stage).into_iter().flatten();
    let stage_covered =
        // Paused ones too: they answer with a stored exposure this node may not know of.
        at_stage.filter(|e| wanted(&e.key)).all(|e| known.exposures.contains_key(&e.id));
    let overrides_covered = snapshot
        .by_id
        .values()
        .filter(|e| wanted(&e.key) && e.overrides.contains_key(customer_id))
        .all(|e| known.exposures.contains_key(&e.id));
    stage_covered && overrides_covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::snapshot::Snapshot;

    #[test]
    fn the_cache_keeps_and_evicts() {
        let cache = KnownCustomers::new(2);
        let mut known = Known::default();
        known.exposures.insert(1, 10);
        cache.put("a".into(), known.clone());
        assert_eq!(cache.get("a").unwrap().exposures[&1], 10);
        assert!(cache.get("b").is_none());
        for i in 0..100 {
            cache.put(format!("c{i}"), known.clone());
        }
        let kept = (0..100).filter(|i| cache.get(&format!("c{i}")).is_some()).count();
        assert!(kept <= 3, "bounded: {kept}");
    }

    #[test]
    fn a_paused_experiment_without_a_known_exposure_is_not_covered() {
        use crate::domain::experiment::Status;
        let stored = |id: i64, status: Status| {
            let mut e = crate::assign::fixtures::experiment(id, &format!("e{id}"), "reach", &[1.0, 1.0]);
            e.def.status = status;
            e
        };
        let snapshot =
            Snapshot::build(vec![stored(1, Status::Running), stored(2, Status::Paused)], Default::default(), vec![]);
        let mut known = Known::default();
        known.exposures.insert(1, 10);
        // Another node may have stored an exposure to the paused experiment: only the database knows.
        assert!(!covers(&snapshot, "c", "reach", None, &known));
        known.exposures.insert(2, 21);
        assert!(covers(&snapshot, "c", "reach", None, &known));
    }

    #[test]
    fn nothing_at_a_stage_is_covered_trivially() {
        let snapshot = Snapshot::empty();
        assert!(covers(&snapshot, "c", "reach", None, &Known::default()));
    }
}
