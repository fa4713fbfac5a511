//! An experiment definition as the file `stagelab apply` reads (the UI's "Export as file").

use crate::domain::experiment::ExperimentDef;
use serde_json::{json, Map, Value};

/// Drops JSON nulls (TOML has none) recursively.
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// The TOML text of `def` (CONTRACT §6), which parses back to the same definition.
pub fn to_toml(def: &ExperimentDef) -> Result<String, toml::ser::Error> {
    let mut doc = Map::new();
    doc.insert("key".into(), json!(def.key));
    doc.insert("name".into(), json!(def.name));
    doc.insert("hypothesis".into(), json!(def.hypothesis));
    doc.insert("stage".into(), json!(def.stage));
    doc.insert("goal".into(), json!(def.goal));
    doc.insert("window_days".into(), json!(def.window_days));
    doc.insert("traffic".into(), json!(def.traffic));
    if let Some(layer) = &def.layer {
        doc.insert("layer".into(), json!(layer));
    }
    // A shipped experiment is a stopped one that names what it ships (CONTRACT §7).
    let status = if def.ship.is_some() { crate::domain::experiment::Status::Stopped } else { def.status };
    doc.insert("status".into(), json!(status));
    if let Some(ship) = &def.ship {
        doc.insert("ship".into(), json!(ship));
    }
    for (field, at) in [("start_at", def.schedule.start_at), ("stop_at", def.schedule.stop_at)] {
        if let Some(at) = at {
            doc.insert(field.into(), json!(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
        }
    }
    if def.schedule.stop_on_sample {
        doc.insert("stop_on_sample".into(), json!(true));
    }
    if let Some(rule) = &def.targeting {
        doc.insert("targeting".into(), json!(rule.to_raw()));
    }
    let variants: Vec<Value> =
        def.variants.iter().map(|v| json!({"key": v.key, "weight": v.weight, "payload": v.payload})).collect();
    doc.insert("variants".into(), Value::Array(variants));
    doc.insert("metrics".into(), json!(def.metrics));
    doc.insert("stats".into(), json!(def.stats));
    if let Some(simulation) = &def.simulation {
        doc.insert("simulation".into(), simulation.clone());
    }
    if !def.overrides.is_empty() {
        doc.insert("overrides".into(), json!(def.overrides));
    }
    let header = format!("# {}: exported by stagelab. Apply with `stagelab apply`.\n", def.key);
    Ok(header + &toml::to_string(&without_nulls(Value::Object(doc)))?)
}
