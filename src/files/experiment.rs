//! One experiment file.

use super::{value::to_json, FileError};
use crate::domain::experiment::{
    is_valid_key, is_valid_variant_key, Aggregate, CustomMetric, ExperimentDef, MetricKind, MetricsDef, StatsOptions,
    Status, VariantDef, BUILTIN_METRICS,
};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::targeting::RawRule;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::Spanned;

mod rollout;
use rollout::{check_schedule, check_ship};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    key: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    hypothesis: String,
    stage: Spanned<String>,
    goal: Spanned<String>,
    #[serde(default = "thirty")]
    window_days: Spanned<i64>,
    #[serde(default = "everyone")]
    traffic: Spanned<f64>,
    layer: Option<Spanned<String>>,
    targeting: Option<Spanned<RawRule>>,
    variants: Spanned<Vec<Spanned<RawVariant>>>,
    metrics: Option<Spanned<MetricsDef>>,
    stats: Option<Spanned<StatsOptions>>,
    simulation: Option<Spanned<RawSimulation>>,
    #[serde(default)]
    overrides: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default = "draft")]
    status: Spanned<String>,
    ship: Option<Spanned<String>>,
    start_at: Option<Spanned<toml::Value>>,
    stop_at: Option<Spanned<toml::Value>>,
    #[serde(default)]
    stop_on_sample: bool,
}

fn thirty() -> Spanned<i64> {
    Spanned::new(0..0, 30)
}
fn everyone() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}
fn draft() -> Spanned<String> {
    Spanned::new(0..0, "draft".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    key: Spanned<String>,
    weight: Spanned<f64>,
    #[serde(default)]
    payload: toml::Table,
}

/// `[simulation]`: the true effect of each variant, used by `stagelab simulate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulation {
    #[serde(default)]
    variants: BTreeMap<String, RawEffect>,
}

#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct RawEffect {
    /// Relative change of the goal-transition probability (0.2 = +20%).
    #[serde(default)]
    goal: f64,
    /// Relative change of order values.
    #[serde(default)]
    revenue: f64,
}

/// Collects problems against the file text.
struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<FileError>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        self.list.push(FileError::at(self.path, self.text, offset, message));
    }
}

/// Parses and validates one experiment file; returns the definition and the line of its key.
/// Stage checks are skipped when the lifecycle itself is invalid (its errors are reported already).
pub fn parse(path: &Path, text: &str, lifecycle: Option<&Lifecycle>) -> Result<(ExperimentDef, usize), Vec<FileError>> {
    let raw: RawExperiment = toml::from_str(text).map_err(|e| vec![FileError::from_toml(path, text, &e)])?;
    let mut p = Problems { path, text, list: Vec::new() };

    if !is_valid_key(raw.key.get_ref()) {
        p.at(
            raw.key.span().start,
            format!("invalid key {:?}: use lower-case letters, digits, '-' and '_' (at most 63)", raw.key.get_ref()),
        );
    }
    if raw.name.get_ref().trim().is_empty() {
        p.at(raw.name.span().start, "name must not be empty");
    }
    check_stages(&mut p, &raw, lifecycle);
    let window = *raw.window_days.get_ref();
    if !(1..=3650).contains(&window) {
        p.at(raw.window_days.span().start, format!("window_days must be between 1 and 3650, not {window}"));
    }
    let traffic = *raw.traffic.get_ref();
    if !(0.0..=1.0).contains(&traffic) {
        p.at(raw.traffic.span().start, format!("traffic is a share between 0 and 1, not {traffic}"));
    }
    if let Some(layer) = &raw.layer {
        if !is_valid_key(layer.get_ref()) {
            p.at(
                layer.span().start,
                format!("invalid layer {:?}: use lower-case letters, digits, '-' and '_'", layer.get_ref()),
            );
        }
    }
    let targeting = raw
        .targeting
        .as_ref()
        .and_then(|t| t.get_ref().validate().map_err(|e| p.at(t.span().start, format!("targeting: {e}"))).ok());
    let variants = check_variants(&mut p, &raw.variants);
    let metrics = check_metrics(&mut p, raw.metrics.as_ref(), lifecycle);
    let stats = check_stats(&mut p, raw.stats.as_ref());
    let simulation = check_simulation(&mut p, raw.simulation.as_ref(), &variants);
    let overrides = check_overrides(&mut p, raw.overrides.as_ref(), &variants);
    let status = raw.status.get_ref().parse::<Status>().map_err(|e| p.at(raw.status.span().start, e.to_string())).ok();
    let ship = check_ship(&mut p, raw.ship.as_ref(), status, &raw.status, &variants);
    let schedule = check_schedule(&mut p, &raw);

    if !p.list.is_empty() {
        return Err(p.list);
    }
    let key_line = super::error::line_of(text, raw.key.span().start);
    let def = ExperimentDef {
        key: raw.key.into_inner(),
        name: raw.name.into_inner().trim().to_string(),
        hypothesis: raw.hypothesis.trim().to_string(),
        stage: raw.stage.into_inner(),
        goal: raw.goal.into_inner(),
        window_days: window as i32,
        traffic,
        layer: raw.layer.map(Spanned::into_inner),
        targeting,
        variants,
        metrics,
        stats,
        simulation,
        overrides,
        status: if ship.is_some() { Status::Shipped } else { status.unwrap_or(Status::Draft) },
        ship,
        schedule,
    };
    Ok((def, key_line))
}

fn check_stages(p: &mut Problems, raw: &RawExperiment, lifecycle: Option<&Lifecycle>) {
    let Some(lifecycle) = lifecycle else { return };
    let stage = lifecycle.position(raw.stage.get_ref());
    let goal = lifecycle.position(raw.goal.get_ref());
    for (field, value, pos) in [("stage", &raw.stage, stage), ("goal", &raw.goal, goal)] {
        if pos.is_none() {
            p.at(
                value.span().start,
                format!("{field} {:?} is not a lifecycle stage (stages: {})", value.get_ref(), lifecycle.ids()),
            );
        }
    }
    if let (Some(s), Some(g)) = (stage, goal) {
        if g <= s {
            p.at(
                raw.goal.span().start,
                format!(
                    "goal {:?} must come after stage {:?} in the lifecycle",
                    raw.goal.get_ref(),
                    raw.stage.get_ref()
                ),
            );
        }
    }
}

fn check_variants(p: &mut Problems, raw: &Spanned<Vec<Spanned<RawVariant>>>) -> Vec<VariantDef> {
    let count = raw.get_ref().len();
    if !(2..=20).contains(&count) {
        p.at(raw.span().start, format!("an experiment needs 2 to 20 variants (the first is the control), not {count}"));
    }
    let mut seen = HashSet::new();
    let mut total = 0.0;
    let mut out = Vec::new();
    for variant in raw.get_ref() {
        let v = variant.get_ref();
        let key = v.key.get_ref();
        if !is_valid_variant_key(key) {
            p.at(
                v.key.span().start,
                format!("invalid variant key {key:?}: use letters, digits, '-' and '_' (at most 63)"),
            );
        } else if !seen.insert(key.clone()) {
            p.at(v.key.span().start, format!("duplicate variant key {key:?}"));
        }
        let weight = *v.weight.get_ref();
        if !weight.is_finite() || weight < 0.0 {
            p.at(v.weight.span().start, format!("weight of {key:?} must be a number ≥ 0, not {weight}"));
        } else {
            total += weight;
        }
        out.push(VariantDef { key: key.clone(), weight, payload: to_json(&toml::Value::Table(v.payload.clone())) });
    }
    if count > 0 && total <= 0.0 {
        p.at(raw.span().start, "variant weights must add up to more than 0");
    }
    out
}

fn check_metrics(p: &mut Problems, raw: Option<&Spanned<MetricsDef>>, lifecycle: Option<&Lifecycle>) -> MetricsDef {
    let Some(raw) = raw else {
        return MetricsDef { primary: "conversion".into(), secondary: vec![], guardrails: vec![], custom: vec![] };
    };
    let at = raw.span().start;
    let metrics = raw.get_ref().clone();
    let mut custom_names = HashSet::new();
    for custom in &metrics.custom {
        check_custom(p, at, custom, lifecycle);
        if BUILTIN_METRICS.contains(&custom.name.as_str()) || !custom_names.insert(custom.name.as_str()) {
            p.at(at, format!("custom metric name {:?} is already taken", custom.name));
        }
    }
    let known = |name: &str| BUILTIN_METRICS.contains(&name) || custom_names.contains(name);
    for name in std::iter::once(&metrics.primary).chain(&metrics.secondary).chain(&metrics.guardrails) {
        if !known(name) {
            p.at(
                at,
                format!(
                    "unknown metric {name:?} (built in: {}; or declare it under [[metrics.custom]])",
                    BUILTIN_METRICS.join(", ")
                ),
            );
        }
    }
    metrics
}

fn check_custom(p: &mut Problems, at: usize, m: &CustomMetric, lifecycle: Option<&Lifecycle>) {
    if !is_valid_key(&m.name) {
        p.at(at, format!("invalid custom metric name {:?}", m.name));
    }
    match (m.event.as_str(), &m.stage) {
        ("stage", None) => p.at(at, format!("custom metric {:?} counts stage events: name the `stage`", m.name)),
        ("stage", Some(stage)) => {
            if lifecycle.is_some_and(|l| l.position(stage).is_none()) {
                p.at(at, format!("custom metric {:?}: {stage:?} is not a lifecycle stage", m.name));
            }
        }
        ("purchase" | "referral", None) => {}
        ("purchase" | "referral", Some(_)) => {
            p.at(at, format!("custom metric {:?}: `stage` applies only to stage events", m.name))
        }
        (other, _) => {
            p.at(at, format!("custom metric {:?}: unknown event {other:?} (stage, purchase or referral)", m.name))
        }
    }
    if m.kind == MetricKind::Proportion && m.aggregate.is_some() {
        p.at(at, format!("custom metric {:?}: `aggregate` applies only to means", m.name));
    }
    if m.aggregate == Some(Aggregate::Sum) && m.event != "purchase" {
        p.at(at, format!("custom metric {:?}: only purchases have values to sum", m.name));
    }
}

fn check_stats(p: &mut Problems, raw: Option<&Spanned<StatsOptions>>) -> StatsOptions {
    let Some(raw) = raw else { return StatsOptions::default() };
    let at = raw.span().start;
    let s = raw.get_ref().clone();
    if !["fixed", "sequential"].contains(&s.method.as_str()) {
        p.at(at, format!("stats.method must be \"fixed\" or \"sequential\", not {:?}", s.method));
    }
    if !(s.alpha > 0.0 && s.alpha <= 0.5) {
        p.at(at, format!("stats.alpha must be in (0, 0.5], not {}", s.alpha));
    }
    if !["holm", "bh", "none"].contains(&s.correction.as_str()) {
        p.at(at, format!("stats.correction must be \"holm\", \"bh\" or \"none\", not {:?}", s.correction));
    }
    if !(s.mde > 0.0 && s.mde.is_finite()) {
        p.at(at, format!("stats.mde (relative minimum detectable effect) must be > 0, not {}", s.mde));
    }
    if let Some(w) = s.winsorize {
        if !(w > 0.5 && w < 1.0) {
            p.at(at, format!("stats.winsorize is a percentile in (0.5, 1), e.g. 0.99, not {w}"));
        }
    }
    s
}

fn check_simulation(
    p: &mut Problems,
    raw: Option<&Spanned<RawSimulation>>,
    variants: &[VariantDef],
) -> Option<serde_json::Value> {
    let raw = raw?;
    let at = raw.span().start;
    for (key, effect) in &raw.get_ref().variants {
        if !variants.iter().any(|v| &v.key == key) {
            p.at(at, format!("simulation names variant {key:?}, which the experiment does not have"));
        }
        if !(effect.goal > -1.0 && effect.goal.is_finite() && effect.revenue > -1.0 && effect.revenue.is_finite()) {
            p.at(at, format!("simulation effects of {key:?} are relative changes and must be > -1"));
        }
    }
    Some(serde_json::json!({ "variants": raw.get_ref().variants }))
}

fn check_overrides(
    p: &mut Problems,
    raw: Option<&Spanned<BTreeMap<String, String>>>,
    variants: &[VariantDef],
) -> BTreeMap<String, String> {
    let Some(raw) = raw else { return BTreeMap::new() };
    for (customer, variant) in raw.get_ref() {
        if customer.is_empty() || customer.len() > 200 {
            p.at(raw.span().start, format!("override customer id {customer:?} must have 1 to 200 characters"));
        }
        if !variants.iter().any(|v| &v.key == variant) {
            p.at(
                raw.span().start,
                format!("override for {customer:?} names variant {variant:?}, which the experiment does not have"),
            );
        }
    }
    raw.get_ref().clone()
}
