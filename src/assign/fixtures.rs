//! Test fixtures shared by the assignment tests.

use crate::db::models::experiments::StoredExperiment;
use crate::domain::experiment::{ExperimentDef, MetricsDef, StatsOptions, Status, VariantDef};

/// A running experiment `key` at `stage` (goal: the next stage is irrelevant here), with variants
/// `v0`, `v1`, … of these weights, whose ids are `id * 100 + index`.
pub fn experiment(id: i64, key: &str, stage: &str, weights: &[f64]) -> StoredExperiment {
    let now = chrono::Utc::now();
    let variants = weights
        .iter()
        .enumerate()
        .map(|(i, w)| VariantDef { key: format!("v{i}"), weight: *w, payload: serde_json::json!({"i": i}) })
        .collect();
    StoredExperiment {
        id,
        def: ExperimentDef {
            key: key.into(),
            name: key.into(),
            hypothesis: String::new(),
            stage: stage.into(),
            goal: "retention".into(),
            window_days: 30,
            traffic: 1.0,
            layer: None,
            targeting: None,
            variants,
            metrics: MetricsDef { primary: "conversion".into(), secondary: vec![], guardrails: vec![], custom: vec![] },
            stats: StatsOptions::default(),
            simulation: None,
            overrides: Default::default(),
            status: Status::Running,
            ship: None,
            schedule: Default::default(),
        },
        salt: format!("salt-{id}"),
        variant_ids: (0..weights.len() as i64).map(|i| id * 100 + i).collect(),
        managed_by: "code".into(),
        source_file: None,
        version: 1,
        created_at: now,
        updated_at: now,
        started_at: Some(now),
        stopped_at: None,
        status_note: None,
    }
}

/// A snapshot of these experiments over the stages `reach`, `acquisition`, `retention`.
pub fn snapshot(experiments: Vec<StoredExperiment>) -> crate::assign::snapshot::Snapshot {
    use crate::domain::lifecycle::{Lifecycle, Stage, StageRules};
    let stage = |id: &str| Stage { id: id.into(), name: id.into(), description: String::new() };
    let stages = vec![stage("reach"), stage("acquisition"), stage("retention")];
    let rules = StageRules::defaults_for(&stages);
    crate::assign::snapshot::Snapshot::build(
        experiments,
        Lifecycle { stages, holdout: 0.0, rules, windows_days: Default::default() },
        Vec::new(),
    )
}

/// A parsed request of `customer` at `stage`, with nothing else.
pub fn request(customer: &str, stage: Option<&str>) -> crate::assign::Parsed {
    crate::assign::Parsed {
        customer_id: customer.into(),
        stage: stage.map(str::to_string),
        attributes: Default::default(),
        segment: None,
        experiments: None,
        at: None,
    }
}
