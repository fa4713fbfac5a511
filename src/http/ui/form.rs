//! The experiment form: its fields (as typed) to a definition, through the same validation as
//! experiment files, and a definition back to fields. Problems are reported per field where the
//! form can tell, else in a list; nothing typed is lost.

use crate::domain::experiment::ExperimentDef;
use crate::domain::lifecycle::Lifecycle;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// How the form shows and reads schedule times: UTC, to the minute (`datetime-local` inputs).
const UTC_MINUTES: &str = "%Y-%m-%dT%H:%M";

/// Rows of variant inputs shown (filled ones plus blanks).
pub const VARIANT_ROWS: usize = 6;

/// The fields as typed.
pub type Fields = HashMap<String, String>;

/// What is wrong with a submitted form.
#[derive(Debug, Default, serde::Serialize)]
pub struct Problems {
    /// By field name.
    pub fields: BTreeMap<String, String>,
    /// Problems the validator found (not tied to one input).
    pub general: Vec<String>,
}

fn get<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map_or("", |s| s.trim())
}

/// The fields of an existing definition (for editing, or cloning under a new key).
pub fn fields_of(def: &ExperimentDef) -> Fields {
    let mut f = Fields::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_string(), v);
    };
    put("key", def.key.clone());
    put("name", def.name.clone());
    put("hypothesis", def.hypothesis.clone());
    put("stage", def.stage.clone());
    put("goal", def.goal.clone());
    put("window_days", def.window_days.to_string());
    // Rounded to what people type: 0.29 × 100 is 28.999999999999996 in floating point.
    put("traffic_percent", ((def.traffic * 100.0 * 1e9).round() / 1e9).to_string());
    put("layer", def.layer.clone().unwrap_or_default());
    put("targeting", def.targeting.as_ref().map_or_else(String::new, |r| json!(r.to_raw()).to_string()));
    put("primary", def.metrics.primary.clone());
    put("secondary", def.metrics.secondary.join(", "));
    put("guardrails", def.metrics.guardrails.join(", "));
    put("custom", if def.metrics.custom.is_empty() { String::new() } else { json!(def.metrics.custom).to_string() });
    put("method", def.stats.method.clone());
    put("alpha", def.stats.alpha.to_string());
    put("correction", def.stats.correction.clone());
    put("mde_percent", ((def.stats.mde * 100.0 * 1e9).round() / 1e9).to_string());
    put("winsorize", def.stats.winsorize.map_or_else(String::new, |w| w.to_string()));
    if def.stats.cuped {
        put("cuped", "on".into());
    }
    put("guardrail_action", def.stats.guardrail_action.as_str().into());
    let minutes =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or_else(String::new, |t| t.format(UTC_MINUTES).to_string());
    put("start_at", minutes(def.schedule.start_at));
    put("stop_at", minutes(def.schedule.stop_at));
    if def.schedule.stop_on_sample {
        put("stop_on_sample", "on".into());
    }
    put("overrides", def.overrides.iter().map(|(c, v)| format!("{c} = {v}")).collect::<Vec<_>>().join("\n"));
    for (i, v) in def.variants.iter().enumerate() {
        put(&format!("variant_{i}_key"), v.key.clone());
        put(&format!("variant_{i}_weight"), v.weight.to_string());
        put(&format!("variant_{i}_payload"), v.payload.to_string());
    }
    f
}

/// The definition the form describes, validated like an experiment file, with `status` and the
/// simulation table kept from `keep` (absent for a new experiment: draft, none).
pub fn to_def(f: &Fields, lifecycle: &Lifecycle, keep: Option<&ExperimentDef>) -> Result<ExperimentDef, Problems> {
    let mut p = Problems::default();
    let mut number = |name: &str, what: &str| -> Option<f64> {
        let text = get(f, name);
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                p.fields.insert(name.into(), format!("{what}: enter a number, not {text:?}"));
                None
            }
        }
    };
    let window = number("window_days", "window");
    let traffic = number("traffic_percent", "traffic");
    let alpha = number("alpha", "α");
    let mde = number("mde_percent", "minimum detectable effect");
    let winsorize = if get(f, "winsorize").is_empty() { None } else { number("winsorize", "winsorize percentile") };
    let mut doc = Map::new();
    for name in ["key", "name", "hypothesis", "stage", "goal"] {
        doc.insert(name.into(), json!(get(f, name)));
    }
    if let Some(w) = window {
        if w.fract() == 0.0 {
            doc.insert("window_days".into(), json!(w as i64));
        } else {
            p.fields.insert("window_days".into(), "window: whole days".into());
        }
    }
    if let Some(t) = traffic {
        doc.insert("traffic".into(), json!(t / 100.0));
    }
    if !get(f, "layer").is_empty() {
        doc.insert("layer".into(), json!(get(f, "layer")));
    }
    doc.insert("status".into(), json!(keep.map_or("draft", |d| d.status.as_str())));
    if let Some(ship) = keep.and_then(|d| d.ship.as_ref()) {
        doc.insert("ship".into(), json!(ship));
    }
    for name in ["start_at", "stop_at"] {
        let text = get(f, name);
        if text.is_empty() {
            continue;
        }
        let read = chrono::NaiveDateTime::parse_from_str(text, UTC_MINUTES)
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"));
        match read {
            Ok(t) => {
                doc.insert(name.into(), json!(t.and_utc().to_rfc3339()));
            }
            Err(_) => {
                p.fields.insert(
                    name.into(),
                    format!("{name}: a date and time in UTC, e.g. 2026-12-24T09:00, not {text:?}"),
                );
            }
        }
    }
    if f.contains_key("stop_on_sample") {
        doc.insert("stop_on_sample".into(), json!(true));
    }
    if let Some(rule) = json_field(f, "targeting", &mut p) {
        doc.insert("targeting".into(), rule);
    }
    let mut variants = Vec::new();
    for i in 0..64 {
        let key = get(f, &format!("variant_{i}_key"));
        let weight = get(f, &format!("variant_{i}_weight"));
        let payload_name = format!("variant_{i}_payload");
        if key.is_empty() && weight.is_empty() && get(f, &payload_name).is_empty() {
            continue;
        }
        let weight = match weight.parse::<f64>() {
            Ok(w) if w.is_finite() => w,
            _ => {
                p.fields.insert(format!("variant_{i}_weight"), format!("weight: enter a number, not {weight:?}"));
                continue;
            }
        };
        let payload = json_field(f, &payload_name, &mut p).unwrap_or_else(|| json!({}));
        if !payload.is_object() {
            p.fields.insert(payload_name, "payload: a JSON object, e.g. {\"discount\": 10}".into());
            continue;
        }
        variants.push(json!({"key": key, "weight": weight, "payload": payload}));
    }
    doc.insert("variants".into(), Value::Array(variants));
    let list = |name: &str| -> Vec<String> {
        get(f, name).split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    };
    let mut metrics =
        json!({"primary": get(f, "primary"), "secondary": list("secondary"), "guardrails": list("guardrails")});
    if let Some(custom) = json_field(f, "custom", &mut p) {
        metrics["custom"] = custom;
    }
    doc.insert("metrics".into(), metrics);
    let mut stats =
        json!({"method": get(f, "method"), "correction": get(f, "correction"), "cuped": f.contains_key("cuped")});
    if !get(f, "guardrail_action").is_empty() {
        stats["guardrail_action"] = json!(get(f, "guardrail_action"));
    }
    if let Some(a) = alpha {
        stats["alpha"] = json!(a);
    }
    if let Some(m) = mde {
        stats["mde"] = json!(m / 100.0);
    }
    if let Some(w) = winsorize {
        stats["winsorize"] = json!(w);
    }
    doc.insert("stats".into(), stats);
    let mut overrides = Map::new();
    for (n, line) in get(f, "overrides").lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty()) {
        match line.split_once('=') {
            Some((c, v)) => {
                overrides.insert(c.trim().to_string(), json!(v.trim()));
            }
            None => {
                p.fields.insert("overrides".into(), format!("line {}: write `customer_id = variant`", n + 1));
            }
        }
    }
    if !overrides.is_empty() {
        doc.insert("overrides".into(), Value::Object(overrides));
    }
    if let Some(simulation) = keep.and_then(|d| d.simulation.clone()) {
        doc.insert("simulation".into(), simulation);
    }
    if !p.fields.is_empty() {
        return Err(p);
    }
    let text = match toml::to_string(&Value::Object(doc)) {
        Ok(t) => t,
        Err(e) => {
            p.general.push(format!("the form cannot be read: {e}"));
            return Err(p);
        }
    };
    crate::files::parse_experiment(&text, lifecycle).map_err(|errors| {
        p.general = errors.into_iter().map(|e| e.message).collect();
        p
    })
}

/// A JSON field: `None` when empty or invalid (then the problem is recorded).
fn json_field(f: &Fields, name: &str, p: &mut Problems) -> Option<Value> {
    let text = get(f, name);
    if text.is_empty() {
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            p.fields.insert(name.into(), format!("not valid JSON: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> crate::files::Desired {
        crate::files::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")).unwrap()
    }

    #[test]
    fn a_definition_survives_the_form() {
        let d = shipped();
        for e in &d.experiments {
            let back = to_def(&fields_of(&e.def), &d.lifecycle, Some(&e.def)).unwrap_or_else(|p| panic!("{p:?}"));
            assert_eq!(back, e.def);
        }
    }

    #[test]
    fn schedules_and_guardrail_actions_survive_the_form_in_utc() {
        let d = shipped();
        let mut def = d.experiments[0].def.clone();
        def.schedule.start_at = Some("2030-01-02T03:04:00Z".parse().unwrap());
        def.schedule.stop_at = Some("2030-02-01T00:00:00Z".parse().unwrap());
        def.schedule.stop_on_sample = true;
        def.stats.guardrail_action = crate::domain::experiment::GuardrailAction::Pause;
        let f = fields_of(&def);
        assert_eq!(f["start_at"], "2030-01-02T03:04");
        assert_eq!(to_def(&f, &d.lifecycle, Some(&def)).unwrap(), def);
        let mut bad = f.clone();
        bad.insert("stop_at".into(), "next tuesday".into());
        assert!(to_def(&bad, &d.lifecycle, Some(&def)).unwrap_err().fields["stop_at"].contains("in UTC"));
        let mut backwards = f;
        backwards.insert("stop_at".into(), "2030-01-01T00:00".into());
        let p = to_def(&backwards, &d.lifecycle, Some(&def)).unwrap_err();
        assert!(p.general.iter().any(|m| m.contains("stop_at")), "{:?}", p.general);
    }

    #[test]
    fn problems_name_their_fields_and_the_validator_speaks_too() {
        let d = shipped();
        let mut f = fields_of(&d.experiments[0].def);
        f.insert("traffic_percent".into(), "lots".into());
        f.insert("variant_1_payload".into(), "{oops".into());
        let p = to_def(&f, &d.lifecycle, None).unwrap_err();
        assert!(p.fields["traffic_percent"].contains("enter a number"));
        assert!(p.fields["variant_1_payload"].contains("not valid JSON"));
        let mut f = fields_of(&d.experiments[0].def);
        f.insert("traffic_percent".into(), "150".into());
        f.insert("goal".into(), "nowhere".into());
        let p = to_def(&f, &d.lifecycle, None).unwrap_err();
        assert!(p.general.iter().any(|m| m.contains("traffic")), "{:?}", p.general);
        assert!(p.general.iter().any(|m| m.contains("nowhere")), "{:?}", p.general);
    }
}
