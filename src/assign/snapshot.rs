//! The in-memory view of everything assignment needs, rebuilt whenever definitions change and
//! swapped in atomically; requests read it without locks or queries.

use crate::db::models::api_keys::ApiKey as StoredKey;
use crate::db::models::experiments::StoredExperiment;
use crate::domain::experiment::Status;
use crate::domain::key::KeyRole;
use crate::domain::lifecycle::Lifecycle;
use crate::domain::targeting::Rule;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// A variant as assignment needs it.
#[derive(Debug, Clone)]
pub struct ActiveVariant {
    /// Database id (stored in exposures).
    pub id: i64,
    /// Key.
    pub key: String,
    /// Relative weight.
    pub weight: f64,
    /// What the storefront shows.
    pub payload: Arc<Value>,
}

/// An experiment's share of its layer: customers whose layer position is in `[start, end)`.
#[derive(Debug, Clone)]
pub struct LayerSlot {
    /// The layer key (hashed with the customer id).
    pub layer: String,
    /// Start of the slot.
    pub start: f64,
    /// End of the slot.
    pub end: f64,
}

/// A running or paused experiment.
#[derive(Debug, Clone)]
pub struct ActiveExperiment {
    /// Database id.
    pub id: i64,
    /// Key.
    pub key: String,
    /// Eligible stage.
    pub stage: String,
    /// Running (assigns new customers) or paused (only returns stored assignments).
    pub status: Status,
    /// Hashing salt.
    pub salt: String,
    /// Share of eligible customers who enter.
    pub traffic: f64,
    /// Who is eligible.
    pub targeting: Option<Rule>,
    /// The arms, control first.
    pub variants: Vec<ActiveVariant>,
    /// The weights, for bucketing.
    pub weights: Vec<f64>,
    /// Its slot when it shares a layer.
    pub slot: Option<LayerSlot>,
    /// Forced variant index by customer id.
    pub overrides: HashMap<String, usize>,
}

impl ActiveExperiment {
    /// The index of the variant with database id `variant_id` (a stored exposure names its
    /// variant by id); `None` for a variant of another experiment.
    pub fn variant_index(&self, variant_id: i64) -> Option<usize> {
        self.variants.iter().position(|v| v.id == variant_id)
    }
}

/// A shipped experiment: its variant's payload for every eligible customer (CONTRACT §7).
#[derive(Debug, Clone)]
pub struct ShippedExperiment {
    /// Key.
    pub key: String,
    /// Who is eligible, beside the stage (traffic and layer no longer count).
    pub targeting: Option<Rule>,
    /// The shipped variant's key.
    pub variant: String,
    /// Its payload.
    pub payload: Arc<Value>,
}

/// An active API key.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    /// Id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// Role.
    pub role: KeyRole,
}

/// Everything assignment reads, at one moment.
#[derive(Debug)]
pub struct Snapshot {
    /// Running and paused experiments, by id.
    pub by_id: HashMap<i64, Arc<ActiveExperiment>>,
    /// The same, by eligible stage, ordered by key.
    pub by_stage: HashMap<String, Vec<Arc<ActiveExperiment>>>,
    /// Shipped experiments by stage, ordered by key. They are in no other map: they take no
    /// layer slot, store no exposure and have no overrides.
    pub shipped: HashMap<String, Vec<Arc<ShippedExperiment>>>,
    /// Layer key by experiment id, for every experiment in a layer.
    pub layer_of: HashMap<i64, String>,
    /// The lifecycle (stage order and holdout share).
    pub lifecycle: Lifecycle,
    /// Active API keys by token prefix (not secret), each with its token's raw digest.
    pub keys: HashMap<String, Vec<([u8; 32], KeyInfo)>>,
    /// When this snapshot was loaded.
    pub loaded_at: Instant,
}

impl Snapshot {
    /// An empty snapshot (before the first load).
    pub fn empty() -> Snapshot {
        Snapshot::build(Vec::new(), Lifecycle::default(), Vec::new())
    }

    /// The active key of `token`: found by its prefix, then its digest compared in constant time.
    pub fn key(&self, token: &str) -> Option<&KeyInfo> {
        let candidates = self.keys.get(crate::domain::key::prefix(token)?)?;
        let digest = crate::domain::key::digest(token);
        candidates.iter().find(|(stored, _)| crate::domain::key::raw_digests_match(stored, &digest)).map(|(_, k)| k)
    }

    /// Builds the view from stored definitions.
    pub fn build(experiments: Vec<StoredExperiment>, lifecycle: Lifecycle, keys: Vec<(String, StoredKey)>) -> Snapshot {
        let active: Vec<&StoredExperiment> =
            experiments.iter().filter(|e| matches!(e.def.status, Status::Running | Status::Paused)).collect();
        let slots = layer_slots(&active);
        let mut by_id = HashMap::new();
        let mut by_stage: HashMap<String, Vec<Arc<ActiveExperiment>>> = HashMap::new();
        let mut layer_of = HashMap::new();
        for stored in active {
            let def = &stored.def;
            let variants: Vec<ActiveVariant> = def
                .variants
                .iter()
                .zip(&stored.variant_ids)
                .map(|(v, id)| ActiveVariant {
                    id: *id,
                    key: v.key.clone(),
                    weight: v.weight,
                    payload: Arc::new(v.payload.clone()),
                })
                .collect();
            let overrides = def
                .overrides
                .iter()
                .filter_map(|(customer, variant)| {
                    Some((customer.clone(), variants.iter().position(|v| &v.key == variant)?))
                })
                .collect();
            if let Some(layer) = &def.layer {
                layer_of.insert(stored.id, layer.clone());
            }
            let experiment = Arc::new(ActiveExperiment {
                id: stored.id,
                key: def.key.clone(),
                stage: def.stage.clone(),
                status: def.status,
                salt: stored.salt.clone(),
                traffic: def.traffic,
                targeting: def.targeting.clone(),
                weights: variants.iter().map(|v| v.weight).collect(),
                variants,
                slot: slots.get(&stored.id).cloned(),
                overrides,
            });
            by_stage.entry(def.stage.clone()).or_default().push(experiment.clone());
            by_id.insert(stored.id, experiment);
        }
        for list in by_stage.values_mut() {
            list.sort_by(|a, b| a.key.cmp(&b.key));
        }
        let shipped = shipped_by_stage(&experiments);
        let mut by_prefix: HashMap<String, Vec<([u8; 32], KeyInfo)>> = HashMap::new();
        for (hash, k) in keys.into_iter().filter(|(_, k)| k.revoked_at.is_none()) {
            // A stored digest that is not one (never written so) matches no token.
            let Some(digest) = crate::domain::key::decode_digest(&hash) else { continue };
            by_prefix.entry(k.prefix).or_default().push((digest, KeyInfo { id: k.id, name: k.name, role: k.role }));
        }
        let keys = by_prefix;
        Snapshot { by_id, by_stage, shipped, layer_of, lifecycle, keys, loaded_at: Instant::now() }
    }

    /// Whether a request at `stage` records programme membership (CONTRACT §9): an experiment is
    /// running or shipped there.
    pub fn in_programme(&self, stage: &str) -> bool {
        self.shipped.get(stage).is_some_and(|l| !l.is_empty())
            || self.by_stage.get(stage).is_some_and(|l| l.iter().any(|e| e.status == Status::Running))
    }

    /// The stage a customer is treated as being at: the given one, else the stored one, else the
    /// first stage of the lifecycle.
    pub fn stage_for<'a>(&'a self, requested: Option<&'a str>, stored: Option<&'a str>) -> Option<&'a str> {
        requested.or(stored).or_else(|| self.lifecycle.stages.first().map(|s| s.id.as_str()))
    }
}

/// The shipped experiments, by stage and key.
fn shipped_by_stage(experiments: &[StoredExperiment]) -> HashMap<String, Vec<Arc<ShippedExperiment>>> {
    let mut by_stage: HashMap<String, Vec<Arc<ShippedExperiment>>> = HashMap::new();
    for def in experiments.iter().map(|e| &e.def).filter(|d| d.status == Status::Shipped) {
        let Some(variant) = def.ship.as_ref().and_then(|v| def.variants.iter().find(|x| &x.key == v)) else {
            continue;
        };
        by_stage.entry(def.stage.clone()).or_default().push(Arc::new(ShippedExperiment {
            key: def.key.clone(),
            targeting: def.targeting.clone(),
            variant: variant.key.clone(),
            payload: Arc::new(variant.payload.clone()),
        }));
    }
    for list in by_stage.values_mut() {
        list.sort_by(|a, b| a.key.cmp(&b.key));
    }
    by_stage
}

/// Splits each layer's hash space evenly among its active experiments, in order of creation.
fn layer_slots(active: &[&StoredExperiment]) -> HashMap<i64, LayerSlot> {
    let mut layers: HashMap<&str, Vec<i64>> = HashMap::new();
    for e in active {
        if let Some(layer) = &e.def.layer {
            layers.entry(layer.as_str()).or_default().push(e.id);
        }
    }
    let mut slots = HashMap::new();
    for (layer, mut ids) in layers {
        ids.sort_unstable();
        let k = ids.len() as f64;
        for (i, id) in ids.into_iter().enumerate() {
            slots.insert(id, LayerSlot { layer: layer.to_string(), start: i as f64 / k, end: (i + 1) as f64 / k });
        }
    }
    slots
}
