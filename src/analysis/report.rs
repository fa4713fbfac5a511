//! The report analysts read (CONTRACT §5 plus the lifecycle views): one serialisable value that
//! the JSON, CSV, text and HTML outputs all render, so they always show the same numbers.

use crate::domain::experiment::Status;
use crate::stats::{Effect, KmPoint, LogRank, Risk};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The analysis of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Experiment key.
    pub experiment: String,
    /// Display name.
    pub name: String,
    /// The hypothesis.
    pub hypothesis: String,
    /// Status.
    pub status: Status,
    /// Eligible stage.
    pub stage: String,
    /// Goal stage.
    pub goal: String,
    /// Conversion window.
    pub window_days: i32,
    /// When this report was computed.
    pub generated_at: DateTime<Utc>,
    /// First started.
    pub started_at: Option<DateTime<Utc>>,
    /// Stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// `fixed` or `sequential`.
    pub method: String,
    /// Significance level.
    pub alpha: f64,
    /// Multiple-comparison correction over variants × metrics: `holm`, `bh` or `none`.
    pub correction: String,
    /// Exposure counts, mature and immature.
    pub exposures: Exposures,
    /// Sample-ratio-mismatch check on all exposures.
    pub srm: SrmReport,
    /// Every metric, primary first.
    pub metrics: Vec<MetricReport>,
    /// Plain-language conclusions: one per treatment on the primary metric, plus guardrail alarms.
    pub verdicts: Vec<Verdict>,
    /// What to do now (CONTRACT §7).
    pub decision: super::Decision,
    /// Downstream funnel per variant.
    pub funnel: Funnel,
    /// Time to goal per variant.
    pub time_to_goal: TimeToGoal,
    /// Exposures over time, sample needed and days remaining.
    pub progress: Progress,
}

/// Exposure counts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exposures {
    /// All analysed exposures (QA overrides excluded).
    pub total: u64,
    /// Customers whose window has ended (all once stopped): the `n` of every metric.
    pub mature: u64,
    /// Customers still inside their window: not yet counted.
    pub immature: u64,
    /// Per variant, in variant order.
    pub variants: Vec<VariantExposure>,
}

/// One variant's exposures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariantExposure {
    /// Variant key.
    pub variant: String,
    /// Planned weight, normalised to shares.
    pub weight: f64,
    /// Exposed customers.
    pub exposed: u64,
    /// Mature customers.
    pub mature: u64,
    /// Immature customers.
    pub immature: u64,
}

/// The SRM check as CONTRACT §5 shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SrmReport {
    /// χ² p-value.
    pub p_value: f64,
    /// χ² statistic.
    pub chi_square: f64,
    /// p < 0.001: the split does not match the weights.
    pub mismatch: bool,
    /// Exposures per variant.
    pub observed: Vec<u64>,
    /// Exposures the weights lead one to expect.
    pub expected: Vec<f64>,
}

/// Which part a metric plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The decision metric.
    Primary,
    /// Reported for context.
    Secondary,
    /// Must not get significantly worse.
    Guardrail,
}

/// `proportion` (0/1 per customer) or `mean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A rate.
    Proportion,
    /// A per-customer average.
    Mean,
}

/// One metric over all variants.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricReport {
    /// Metric name.
    pub metric: String,
    /// What it means, in words ("retention rate").
    pub label: String,
    /// Its role.
    pub role: Role,
    /// Proportion or mean.
    pub kind: Kind,
    /// Whether CUPED adjusted it (with the pre-exposure value of the same metric).
    pub cuped: bool,
    /// The revenue cap, when winsorised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winsorized_at: Option<f64>,
    /// For guardrails: a treatment made it significantly worse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrail_violated: Option<bool>,
    /// Control first.
    pub variants: Vec<VariantMetric>,
}

/// A variant's value of a metric and, for treatments, the comparison with control.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariantMetric {
    /// Variant key.
    pub variant: String,
    /// Mature customers.
    pub n: u64,
    /// Rate or mean (CUPED-adjusted when `cuped`).
    pub mean: f64,
    /// Customers who converted (proportions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions: Option<u64>,
    /// Standard deviation per customer.
    pub sd: f64,
    /// Treatment − control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absolute: Option<Effect>,
    /// (Treatment − control) / control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative: Option<Effect>,
    /// Posterior chance that the treatment beats control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chance_to_beat_control: Option<f64>,
    /// Expected losses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// The absolute lift's p-value adjusted over variants × metrics (equal to the raw p-value
    /// when the correction is `none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted_p_value: Option<f64>,
    /// Adjusted p < α.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub significant: Option<bool>,
    /// Why the comparison is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl VariantMetric {
    /// A variant's value without a comparison (control's row, or a treatment before comparing).
    pub fn plain(variant: String, n: u64, mean: f64, sd: f64, conversions: Option<u64>) -> VariantMetric {
        VariantMetric {
            variant,
            n,
            mean,
            conversions,
            sd,
            absolute: None,
            relative: None,
            chance_to_beat_control: None,
            risk: None,
            adjusted_p_value: None,
            significant: None,
            note: None,
        }
    }
}

/// How a treatment did on a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Significantly better than control.
    Better,
    /// Significantly worse than control.
    Worse,
    /// No significant difference (yet).
    Inconclusive,
    /// No mature customers yet.
    NoData,
    /// Sample ratio mismatch: results are not to be trusted.
    Untrustworthy,
}

/// A conclusion in words.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    /// The treatment.
    pub variant: String,
    /// The metric.
    pub metric: String,
    /// The metric's role.
    pub role: Role,
    /// The outcome.
    pub outcome: Outcome,
    /// The sentence.
    pub text: String,
}

/// The downstream funnel: of the mature customers of each variant, how many reached each later
/// stage within the window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    /// The stages after the experiment's stage, in order.
    pub stages: Vec<String>,
    /// Per variant.
    pub variants: Vec<FunnelVariant>,
}

/// One variant's funnel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelVariant {
    /// Variant key.
    pub variant: String,
    /// Mature customers.
    pub n: u64,
    /// One step per stage in `Funnel::stages`.
    pub steps: Vec<FunnelStep>,
}

/// Customers who reached a stage (or a later one).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelStep {
    /// Stage id.
    pub stage: String,
    /// Customers.
    pub customers: u64,
    /// Share of the variant's customers.
    pub share: f64,
    /// Share of those who reached the previous step (the first step: of all).
    pub step_rate: f64,
}

/// Kaplan–Meier curves of the time from exposure to the goal.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimeToGoal {
    /// Unit of `time` in the curves.
    pub unit: &'static str,
    /// Per variant, control first.
    pub variants: Vec<SurvivalVariant>,
}

/// One variant's curve: `survival` is the share that has not reached the goal yet.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SurvivalVariant {
    /// Variant key.
    pub variant: String,
    /// Steps of the curve.
    pub curve: Vec<KmPoint>,
    /// Log-rank test against control (treatments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_rank: Option<LogRank>,
}

/// How far along the experiment is.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Per UTC day, in order.
    pub daily: Vec<Day>,
    /// The metric the sample size is planned on.
    pub planned_on: String,
    /// Relative minimum detectable effect.
    pub mde: f64,
    /// Mature customers needed per variant and in total at 80% power, when computable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_needed: Option<SampleNeeded>,
    /// Days until enough customers are exposed, at the recent daily rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_sample: Option<u64>,
    /// Days until the results are final: enough exposures and their windows ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_remaining: Option<u64>,
    /// Why the estimate is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Sample size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SampleNeeded {
    /// Per variant.
    pub per_variant: u64,
    /// Over all variants.
    pub total: u64,
}

/// One day of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Day {
    /// UTC date.
    pub date: NaiveDate,
    /// First exposures that day, per variant (variant order).
    pub exposed: Vec<u64>,
    /// Conversion so far per variant: customers who reached the goal by the end of the day over
    /// customers exposed by then.
    pub cumulative_conversion: Vec<f64>,
}
