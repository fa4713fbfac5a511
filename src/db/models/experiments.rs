//! `experiments`, `variants` and `layers`: stored experiment definitions.

use super::bad_json;
use crate::db::schema::{experiments, layers, variants};
use crate::domain::experiment::{ExperimentDef, MetricsDef, Schedule, StatsOptions, Status, VariantDef};
use crate::domain::targeting::RawRule;
use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods, NullableExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use std::collections::HashMap;

/// An experiment as stored: its definition plus what the database adds. Serialises as the API
/// shows it: the definition's fields flattened, without the internal id and salt.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StoredExperiment {
    /// Id.
    #[serde(skip)]
    pub id: i64,
    /// The definition.
    #[serde(flatten)]
    pub def: ExperimentDef,
    /// Hashing salt.
    #[serde(skip)]
    pub salt: String,
    /// Ids of `def.variants`, in the same order.
    #[serde(skip)]
    pub variant_ids: Vec<i64>,
    /// `code` (from `stagelab apply`) or `ui`.
    pub managed_by: String,
    /// The file it was applied from.
    pub source_file: Option<String>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// First started.
    pub started_at: Option<DateTime<Utc>>,
    /// Stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Why stagelab itself last changed the status (schedule, planned sample, guardrail);
    /// `None` when the last status change was a person's or a file's.
    pub status_note: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = experiments)]
struct ExperimentRow {
    id: i64,
    key: String,
    name: String,
    hypothesis: String,
    stage: String,
    goal: String,
    window_days: i32,
    traffic: f64,
    targeting: Option<Value>,
    metrics: Value,
    stats: Value,
    simulation: Option<Value>,
    status: Status,
    salt: String,
    managed_by: String,
    source_file: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    overrides: Value,
    ship: Option<String>,
    start_at: Option<DateTime<Utc>>,
    stop_at: Option<DateTime<Utc>>,
    stop_on_sample: bool,
    status_note: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = variants)]
struct VariantRow {
    id: i64,
    experiment_id: i64,
    key: String,
    weight: f64,
    payload: Value,
}

/// Every experiment, by key, with its variants in order.
pub async fn load_all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<StoredExperiment>> {
    let rows: Vec<(ExperimentRow, Option<String>)> = experiments::table
        .left_join(layers::table)
        .order(experiments::key)
        .select((ExperimentRow::as_select(), layers::key.nullable()))
        .load(conn)
        .await?;
    let variant_rows: Vec<VariantRow> = variants::table
        .order((variants::experiment_id, variants::position))
        .select(VariantRow::as_select())
        .load(conn)
        .await?;
    let mut by_experiment: HashMap<i64, Vec<VariantRow>> = HashMap::new();
    for v in variant_rows {
        by_experiment.entry(v.experiment_id).or_default().push(v);
    }
    rows.into_iter()
        .map(|(row, layer)| {
            let variants = by_experiment.remove(&row.id).unwrap_or_default();
            to_stored(row, layer, variants)
        })
        .collect()
}

/// One experiment by key.
pub async fn find(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<Option<StoredExperiment>> {
    let row: Option<(ExperimentRow, Option<String>)> = experiments::table
        .left_join(layers::table)
        .filter(experiments::key.eq(key))
        .select((ExperimentRow::as_select(), layers::key.nullable()))
        .first(conn)
        .await
        .optional()?;
    let Some((row, layer)) = row else { return Ok(None) };
    let variants: Vec<VariantRow> = variants::table
        .filter(variants::experiment_id.eq(row.id))
        .order(variants::position)
        .select(VariantRow::as_select())
        .load(conn)
        .await?;
    to_stored(row, layer, variants).map(Some)
}

fn to_stored(
    row: ExperimentRow,
    layer: Option<String>,
    variant_rows: Vec<VariantRow>,
) -> QueryResult<StoredExperiment> {
    let variant_ids = variant_rows.iter().map(|v| v.id).collect();
    let variants =
        variant_rows.into_iter().map(|v| VariantDef { key: v.key, weight: v.weight, payload: v.payload }).collect();
    let targeting = match row.targeting {
        None => None,
        Some(json) => {
            let raw: RawRule = serde_json::from_value(json).map_err(|e| bad_json("targeting", e))?;
            Some(raw.validate().map_err(|e| bad_json("targeting", e))?)
        }
    };
    let metrics: MetricsDef = serde_json::from_value(row.metrics).map_err(|e| bad_json("metrics", e))?;
    let stats: StatsOptions = serde_json::from_value(row.stats).map_err(|e| bad_json("stats options", e))?;
    let overrides = serde_json::from_value(row.overrides).map_err(|e| bad_json("overrides", e))?;
    let def = ExperimentDef {
        key: row.key,
        name: row.name,
        hypothesis: row.hypothesis,
        stage: row.stage,
        goal: row.goal,
        window_days: row.window_days,
        traffic: row.traffic,
        layer,
        targeting,
        variants,
        metrics,
        stats,
        simulation: row.simulation,
        overrides,
        status: row.status,
        ship: row.ship,
        schedule: Schedule { start_at: row.start_at, stop_at: row.stop_at, stop_on_sample: row.stop_on_sample },
    };
    Ok(StoredExperiment {
        id: row.id,
        def,
        salt: row.salt,
        variant_ids,
        managed_by: row.managed_by,
        source_file: row.source_file,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        started_at: row.started_at,
        stopped_at: row.stopped_at,
        status_note: row.status_note,
    })
}

/// Where a definition comes from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// `code` or `ui`.
    pub managed_by: &'a str,
    /// The file, for `code`.
    pub source_file: Option<&'a str>,
}

/// Inserts a new experiment with its variants; returns its id.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    def: &ExperimentDef,
    salt: &str,
    origin: Origin<'_>,
) -> QueryResult<i64> {
    let layer_id = ensure_layer(conn, def.layer.as_deref()).await?;
    let now = Utc::now();
    let id: i64 = diesel::insert_into(experiments::table)
        .values((
            experiments::key.eq(&def.key),
            experiments::salt.eq(salt),
            experiments::layer_id.eq(layer_id),
            experiments::managed_by.eq(origin.managed_by),
            experiments::source_file.eq(origin.source_file),
            experiments::started_at.eq((def.status != Status::Draft).then_some(now)),
            experiments::stopped_at.eq(def.status.has_ended().then_some(now)),
            fields(def),
        ))
        .returning(experiments::id)
        .get_result(conn)
        .await?;
    write_variants(conn, id, &def.variants).await?;
    Ok(id)
}

/// Replaces a stored experiment's definition (the caller checks what may change).
pub async fn update(conn: &mut AsyncPgConnection, id: i64, def: &ExperimentDef, origin: Origin<'_>) -> QueryResult<()> {
    let layer_id = ensure_layer(conn, def.layer.as_deref()).await?;
    let now = Utc::now();
    let target = experiments::table.filter(experiments::id.eq(id));
    // A status change made here is a person's or a file's: it clears stagelab's own note.
    diesel::update(target.filter(experiments::status.ne(def.status)))
        .set(experiments::status_note.eq(None::<String>))
        .execute(conn)
        .await?;
    diesel::update(target)
        .set((
            fields(def),
            experiments::layer_id.eq(layer_id),
            experiments::managed_by.eq(origin.managed_by),
            experiments::source_file.eq(origin.source_file),
            experiments::version.eq(experiments::version + 1),
            experiments::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    if def.status != Status::Draft {
        diesel::update(target.filter(experiments::started_at.is_null()))
            .set(experiments::started_at.eq(now))
            .execute(conn)
            .await?;
    }
    if def.status.has_ended() {
        diesel::update(target.filter(experiments::stopped_at.is_null()))
            .set(experiments::stopped_at.eq(now))
            .execute(conn)
            .await?;
    }
    write_variants(conn, id, &def.variants).await
}

type Fields<'a> = (
    diesel::dsl::Eq<experiments::name, &'a String>,
    diesel::dsl::Eq<experiments::hypothesis, &'a String>,
    diesel::dsl::Eq<experiments::stage, &'a String>,
    diesel::dsl::Eq<experiments::goal, &'a String>,
    diesel::dsl::Eq<experiments::window_days, i32>,
    diesel::dsl::Eq<experiments::traffic, f64>,
    diesel::dsl::Eq<experiments::targeting, Option<Value>>,
    diesel::dsl::Eq<experiments::metrics, Value>,
    diesel::dsl::Eq<experiments::stats, Value>,
    diesel::dsl::Eq<experiments::simulation, Option<Value>>,
    diesel::dsl::Eq<experiments::status, Status>,
    diesel::dsl::Eq<experiments::overrides, Value>,
    diesel::dsl::Eq<experiments::ship, Option<&'a String>>,
    diesel::dsl::Eq<experiments::start_at, Option<DateTime<Utc>>>,
    diesel::dsl::Eq<experiments::stop_at, Option<DateTime<Utc>>>,
    diesel::dsl::Eq<experiments::stop_on_sample, bool>,
);

/// The definition's own columns, shared by insert and update.
fn fields(def: &ExperimentDef) -> Fields<'_> {
    (
        experiments::name.eq(&def.name),
        experiments::hypothesis.eq(&def.hypothesis),
        experiments::stage.eq(&def.stage),
        experiments::goal.eq(&def.goal),
        experiments::window_days.eq(def.window_days),
        experiments::traffic.eq(def.traffic),
        experiments::targeting.eq(def.targeting.as_ref().map(|r| json(&r.to_raw()))),
        experiments::metrics.eq(json(&def.metrics)),
        experiments::stats.eq(json(&def.stats)),
        experiments::simulation.eq(def.simulation.clone()),
        experiments::status.eq(def.status),
        experiments::overrides.eq(json(&def.overrides)),
        experiments::ship.eq(def.ship.as_ref()),
        experiments::start_at.eq(def.schedule.start_at),
        experiments::stop_at.eq(def.schedule.stop_at),
        experiments::stop_on_sample.eq(def.schedule.stop_on_sample),
    )
}

/// Records why stagelab itself changed the status of experiment `id` (after [`update`], which
/// clears it).
pub async fn set_status_note(conn: &mut AsyncPgConnection, id: i64, note: &str) -> QueryResult<()> {
    diesel::update(experiments::table.filter(experiments::id.eq(id)))
        .set(experiments::status_note.eq(note))
        .execute(conn)
        .await
        .map(drop)
}

/// Serialises a definition part; plain data with finite floats cannot fail to serialise.
fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Upserts variants by key (ids stay stable, so exposures keep pointing at them) and deletes the
/// ones no longer listed.
async fn write_variants(conn: &mut AsyncPgConnection, experiment_id: i64, defs: &[VariantDef]) -> QueryResult<()> {
    let keys: Vec<&str> = defs.iter().map(|v| v.key.as_str()).collect();
    diesel::delete(
        variants::table.filter(variants::experiment_id.eq(experiment_id)).filter(variants::key.ne_all(&keys)),
    )
    .execute(conn)
    .await?;
    for (position, v) in defs.iter().enumerate() {
        let values = (
            variants::experiment_id.eq(experiment_id),
            variants::key.eq(&v.key),
            variants::position.eq(position as i32),
            variants::weight.eq(v.weight),
            variants::payload.eq(&v.payload),
        );
        diesel::insert_into(variants::table)
            .values(values)
            .on_conflict((variants::experiment_id, variants::key))
            .do_update()
            .set((
                variants::position.eq(position as i32),
                variants::weight.eq(v.weight),
                variants::payload.eq(&v.payload),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The id of a layer, created on first use.
async fn ensure_layer(conn: &mut AsyncPgConnection, key: Option<&str>) -> QueryResult<Option<i64>> {
    let Some(key) = key else { return Ok(None) };
    diesel::insert_into(layers::table).values(layers::key.eq(key)).on_conflict_do_nothing().execute(conn).await?;
    layers::table.filter(layers::key.eq(key)).select(layers::id).first(conn).await.map(Some)
}

/// Serialises changes of definitions (`apply`, UI edits and status changes) until the end of the
/// current transaction.
pub async fn lock_definitions(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(7415126353)").execute(conn).await.map(drop)
}

/// For the demo: gives every started experiment that has no exposure yet the salt
/// `demo:<key>` and the start time `started_at`. A fixed salt makes the simulated demo the same
/// on every machine; the back-dated start matches its back-dated history. Without exposures the
/// salt has decided nothing yet, so changing it moves no customer. Returns how many changed.
pub async fn pin_for_demo(conn: &mut AsyncPgConnection, started_at: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE experiments AS e SET salt = 'demo:' || e.key, started_at = $1 \
         WHERE e.started_at IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM exposures x WHERE x.experiment_id = e.id)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(started_at)
    .execute(conn)
    .await
}
