//! The aggregates behind an experiment's results: computed in SQL (`results.sql`), one statement
//! over the experiment's outcome rows (see [`super::outcomes`]), grouped by variant, so that no
//! customer's rows are loaded into the service.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Bool, Float8, Integer, Json, Nullable, Timestamptz};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;

/// What to aggregate: the experiment and how the lifecycle proves stages.
#[derive(Debug, Clone)]
pub struct ResultsQuery<'a> {
    /// Experiment id.
    pub experiment_id: i64,
    /// Its variants' ids (a change rebuilds the outcome rows).
    pub variant_ids: &'a [i64],
    /// Conversion window in days.
    pub window_days: i32,
    /// The time of the analysis: windows that end later are immature.
    pub now: DateTime<Utc>,
    /// A stopped experiment counts every customer as mature.
    pub stopped: bool,
    /// Stage ids in lifecycle order.
    pub stages: &'a [String],
    /// 1-based position of the goal stage.
    pub goal_position: i32,
    /// 1-based positions of the stages the first purchase, the second purchase and the first
    /// referral prove.
    pub first_purchase: Option<i32>,
    /// See `first_purchase`.
    pub repeat_purchase: Option<i32>,
    /// See `first_purchase`.
    pub referral: Option<i32>,
    /// Revenue is capped at this percentile of customers' window revenue.
    pub winsorize: Option<f64>,
    /// Custom metrics in declaration order: event type and stage (any stage when `None`).
    pub custom: Vec<(String, Option<String>)>,
    /// Length of the pre-exposure period for CUPED covariates, in days.
    pub pre_days: i32,
}

/// Sums of one variant's customers. `exposed` counts all of them; every other field counts only
/// mature customers (whose window has ended, or all once the experiment is stopped).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct VariantSums {
    /// Variant id.
    pub variant_id: i64,
    /// Customers exposed (mature or not).
    pub exposed: u64,
    /// Mature customers.
    pub n: u64,
    /// Reached the goal stage within the window.
    pub conversions: u64,
    /// Made a referral within the window.
    pub referrals: u64,
    /// Σ revenue (winsorised when asked).
    pub revenue_sum: f64,
    /// Σ revenue².
    pub revenue_squares: f64,
    /// Σ orders.
    pub orders_sum: f64,
    /// Σ orders².
    pub orders_squares: f64,
    /// Σ pre-period revenue.
    pub pre_revenue_sum: f64,
    /// Σ pre-period revenue².
    pub pre_revenue_squares: f64,
    /// Σ pre-period revenue · revenue.
    pub revenue_products: f64,
    /// Σ pre-period orders.
    pub pre_orders_sum: f64,
    /// Σ pre-period orders².
    pub pre_orders_squares: f64,
    /// Σ pre-period orders · orders.
    pub orders_products: f64,
    /// Customers who referred in the pre-period.
    pub pre_referrals: u64,
    /// Customers who referred in the pre-period and in the window.
    pub referral_products: u64,
}

/// Mature customers of a variant whose furthest stage in the window has this position.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FunnelCount {
    /// Variant id.
    pub variant_id: i64,
    /// 1-based stage position; `None` when nothing was proven in the window.
    pub furthest: Option<i32>,
    /// Customers.
    pub customers: u64,
}

/// Customers of a variant who reached the goal (`event`) or were censored after `hours`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TimeCount {
    /// Variant id.
    pub variant_id: i64,
    /// Whether the goal was reached (else censored).
    pub event: bool,
    /// Hours from exposure, rounded up.
    pub hours: f64,
    /// Customers.
    pub customers: u64,
}

/// A variant's exposures and conversions on one UTC day.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DailyCount {
    /// Variant id.
    pub variant_id: i64,
    /// The day.
    pub day: NaiveDate,
    /// First exposures that day.
    pub exposed: u64,
    /// Customers who reached the goal that day.
    pub converted: u64,
}

/// A custom metric's sums for a variant's mature customers who had at least one matching event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CustomSums {
    /// Variant id.
    pub variant_id: i64,
    /// 1-based index into the experiment's custom metrics.
    pub metric: usize,
    /// Customers with at least one event.
    pub customers: u64,
    /// Σ event counts.
    pub count_sum: f64,
    /// Σ event counts².
    pub count_squares: f64,
    /// Σ event values.
    pub value_sum: f64,
    /// Σ event values².
    pub value_squares: f64,
}

/// Everything the report is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    /// Per variant (variants without exposures are absent).
    pub variants: Vec<VariantSums>,
    /// Funnel counts.
    pub funnel: Vec<FunnelCount>,
    /// Time-to-goal counts.
    pub time_to_goal: Vec<TimeCount>,
    /// Per day, in day order.
    pub daily: Vec<DailyCount>,
    /// Custom metrics.
    pub custom: Vec<CustomSums>,
    /// The revenue cap used, when winsorising.
    pub revenue_cap: Option<f64>,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Json)]
    variants: serde_json::Value,
    #[diesel(sql_type = Json)]
    funnel: serde_json::Value,
    #[diesel(sql_type = Json)]
    time_to_goal: serde_json::Value,
    #[diesel(sql_type = Json)]
    daily: serde_json::Value,
    #[diesel(sql_type = Json)]
    custom: serde_json::Value,
    #[diesel(sql_type = Nullable<Float8>)]
    revenue_cap: Option<f64>,
}

/// Computes the aggregates of one experiment from its outcome rows (bring them up to date first
/// with [`super::outcomes::refresh`]), in a read-only transaction: one statement, with enough
/// memory for its hash tables.
pub async fn aggregate(conn: &mut AsyncPgConnection, q: &ResultsQuery<'_>) -> QueryResult<Aggregates> {
    let mature_before = q.now - Duration::days(i64::from(q.window_days));
    let custom = q.custom.len() as i32;
    let row: Row = conn
        .build_transaction()
        .read_only()
        .run(async |conn| {
            diesel::sql_query("SET LOCAL work_mem = '256MB'").execute(conn).await?;
            // JIT compilation of this many expressions costs more than it saves.
            diesel::sql_query("SET LOCAL jit = off").execute(conn).await?;
            diesel::sql_query(include_str!("results.sql"))
                .bind::<BigInt, _>(q.experiment_id)
                .bind::<Integer, _>(q.window_days)
                .bind::<Timestamptz, _>(q.now)
                .bind::<Bool, _>(q.stopped)
                .bind::<Nullable<Float8>, _>(q.winsorize)
                .bind::<Integer, _>(custom)
                .bind::<Timestamptz, _>(mature_before)
                .get_result(conn)
                .await
        })
        .await?;
    Ok(Aggregates {
        variants: parse("variant sums", row.variants)?,
        funnel: parse("funnel counts", row.funnel)?,
        time_to_goal: parse("time-to-goal counts", row.time_to_goal)?,
        daily: parse("daily counts", row.daily)?,
        custom: parse("custom metric sums", row.custom)?,
        revenue_cap: row.revenue_cap,
    })
}

/// A JSON aggregate column as `T` (an error names `what`).
pub(super) fn parse<T: serde::de::DeserializeOwned>(what: &str, value: serde_json::Value) -> QueryResult<T> {
    serde_json::from_value(value).map_err(|e| super::bad_json(what, e))
}
