//! An experiment's definition: what `experiments/*.toml`, the database and the API all describe.

use super::named::named;
pub use super::schedule::Schedule;
use super::targeting::Rule;
use serde::{Deserialize, Serialize};

named! {
    /// Where an experiment is in its life.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Status ("status") {
        /// Defined, not yet assigning.
        Draft,
        /// Assigning customers.
        Running,
        /// Temporarily not assigning new customers (existing assignments stay).
        Paused,
        /// Finished for good.
        Stopped,
        /// Stopped, and one variant (`ship`) is served to every customer it was eligible for,
        /// the programme holdout aside, with no exposure stored.
        Shipped,
    }
}

impl Status {
    /// Whether the experiment has ended (stopped, shipped or not): its report is frozen at the stop.
    pub fn has_ended(self) -> bool {
        matches!(self, Status::Stopped | Status::Shipped)
    }
}

named! {
    /// What the background watch does when a guardrail metric is significantly worse under the
    /// always-valid test (CONTRACT §7).
    #[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum GuardrailAction ("guardrail action") {
        /// Notify and show it; change nothing.
        #[default]
        Warn,
        /// Pause the experiment (no new customers; assigned ones keep their variant).
        Pause,
        /// Stop the experiment for good.
        Stop,
    }
}

/// One arm of an experiment. The first variant is the control.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariantDef {
    /// Stable key, e.g. `coupon10`.
    pub key: String,
    /// Relative weight (weights need not sum to 1; they are normalised).
    pub weight: f64,
    /// What the storefront should show (a JSON object).
    pub payload: serde_json::Value,
}

/// The metrics an experiment is judged by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsDef {
    /// The decision metric.
    pub primary: String,
    /// Other metrics to report.
    #[serde(default)]
    pub secondary: Vec<String>,
    /// Metrics that must not get significantly worse.
    #[serde(default)]
    pub guardrails: Vec<String>,
    /// Metrics declared by this experiment.
    #[serde(default)]
    pub custom: Vec<CustomMetric>,
}

/// The metrics every experiment has (CONTRACT §5).
pub const BUILTIN_METRICS: [&str; 4] = ["conversion", "revenue", "orders", "referral"];

/// A metric declared in an experiment file, counted from events after exposure within the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomMetric {
    /// Metric name (unique in the experiment, not a built-in name).
    pub name: String,
    /// `proportion` (did it happen at least once) or `mean` (per customer).
    pub kind: MetricKind,
    /// The event type counted: `stage`, `purchase` or `referral`.
    pub event: String,
    /// For `stage` events: which stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// For means: `count` of events or `sum` of their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Aggregate>,
}

/// How a metric is summarised per customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// 0 or 1 per customer.
    Proportion,
    /// A number per customer.
    Mean,
}

/// What a mean metric adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Number of events.
    Count,
    /// Sum of event values.
    Sum,
}

/// How results are analysed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsOptions {
    /// `fixed` (fixed horizon) or `sequential` (always valid, safe to peek).
    #[serde(default = "default_method")]
    pub method: String,
    /// Significance level.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Multiple-comparison correction: `holm`, `bh` or `none`.
    #[serde(default = "default_correction")]
    pub correction: String,
    /// Minimum detectable effect, relative (0.1 = +10%), for the sample-size estimate.
    #[serde(default = "default_mde")]
    pub mde: f64,
    /// Winsorise revenue at this percentile (e.g. 0.99); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winsorize: Option<f64>,
    /// Use CUPED with the metric's value in the 30 days before exposure.
    #[serde(default)]
    pub cuped: bool,
    /// What happens when a guardrail is significantly worse (always-valid test).
    #[serde(default)]
    pub guardrail_action: GuardrailAction,
}

fn default_method() -> String {
    "fixed".into()
}
fn default_alpha() -> f64 {
    0.05
}
fn default_correction() -> String {
    "holm".into()
}
fn default_mde() -> f64 {
    0.1
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            method: default_method(),
            alpha: default_alpha(),
            correction: default_correction(),
            mde: default_mde(),
            winsorize: None,
            cuped: false,
            guardrail_action: GuardrailAction::Warn,
        }
    }
}

/// A whole experiment definition, as a file states it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExperimentDef {
    /// Unique key (`^[a-z0-9][a-z0-9_-]*$`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// What we expect and why.
    pub hypothesis: String,
    /// The stage at which customers are eligible.
    pub stage: String,
    /// The stage whose reaching is the goal.
    pub goal: String,
    /// Days after first exposure in which the goal counts.
    pub window_days: i32,
    /// Share of eligible customers who enter the experiment (0 to 1).
    pub traffic: f64,
    /// Mutual-exclusion layer.
    pub layer: Option<String>,
    /// Who is eligible (everyone when absent).
    #[serde(serialize_with = "serialize_rule")]
    #[schema(value_type = Option<crate::domain::targeting::RawRule>)]
    pub targeting: Option<Rule>,
    /// The arms, control first.
    pub variants: Vec<VariantDef>,
    /// Metrics.
    pub metrics: MetricsDef,
    /// Analysis options.
    pub stats: StatsOptions,
    /// The simulator's true effects (`[simulation]` table), kept as given.
    pub simulation: Option<serde_json::Value>,
    /// QA overrides: customer id → forced variant key (served, flagged, not analysed).
    pub overrides: std::collections::BTreeMap<String, String>,
    /// Desired status.
    pub status: Status,
    /// The variant served to everyone once shipped; `Some` exactly when `status` is `shipped`.
    pub ship: Option<String>,
    /// When it starts and stops by itself.
    pub schedule: Schedule,
}

fn serialize_rule<S: serde::Serializer>(rule: &Option<Rule>, s: S) -> Result<S::Ok, S::Error> {
    rule.as_ref().map(Rule::to_raw).serialize(s)
}

impl ExperimentDef {
    /// The names of every field that differs from `other`, for plans and audit entries.
    pub fn changed_fields(&self, other: &ExperimentDef) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        check("name", self.name != other.name);
        check("hypothesis", self.hypothesis != other.hypothesis);
        check("stage", self.stage != other.stage);
        check("goal", self.goal != other.goal);
        check("window_days", self.window_days != other.window_days);
        check("traffic", self.traffic != other.traffic);
        check("layer", self.layer != other.layer);
        check("targeting", self.targeting != other.targeting);
        check("variants", self.variants != other.variants);
        check("metrics", self.metrics != other.metrics);
        check("stats", self.stats != other.stats);
        check("simulation", self.simulation != other.simulation);
        check("overrides", self.overrides != other.overrides);
        check("status", self.status != other.status);
        check("ship", self.ship != other.ship);
        check("schedule", self.schedule != other.schedule);
        changed
    }

    /// Whether the set or order of variant keys differs (weights and payloads aside).
    pub fn variant_keys_differ(&self, other: &ExperimentDef) -> bool {
        !self.variants.iter().map(|v| &v.key).eq(other.variants.iter().map(|v| &v.key))
    }
}

/// Whether `key` is a valid experiment or layer key.
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z' | '0'..='9'))
        && key.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Whether `key` is a valid variant key.
pub fn is_valid_variant_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && key.len() <= 63
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
