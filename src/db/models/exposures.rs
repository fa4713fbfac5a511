//! `exposures` and the customer facts assignment reads: one round trip for any number of
//! customers, and one transaction for a whole batch of first exposures.

use crate::db::schema::{customers, exposures};
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text};
use diesel::upsert::excluded;
use diesel::{ExpressionMethods, PgJsonbExpressionMethods, QueryDsl, QueryResult, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What assignment knows about a customer.
#[derive(Debug, Clone, Default)]
pub struct CustomerFacts {
    /// Furthest stage reached (from events).
    pub stage: Option<String>,
    /// Stored attributes.
    pub attributes: Map<String, Value>,
    /// Segment.
    pub segment: Option<String>,
    /// Exposures: experiment id → variant id.
    pub exposures: HashMap<i64, i64>,
}

#[derive(QueryableByName)]
struct FactRow {
    #[diesel(sql_type = Text)]
    customer_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    stage: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    attributes: Option<Value>,
    #[diesel(sql_type = Nullable<Text>)]
    segment: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    experiment_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    variant_id: Option<i64>,
}

/// The stored facts of these customers (absent customers are left out), in one query.
pub async fn facts(
    conn: &mut AsyncPgConnection,
    customer_ids: &[String],
) -> QueryResult<HashMap<String, CustomerFacts>> {
    let rows: Vec<FactRow> = diesel::sql_query(
        "SELECT q.id AS customer_id, c.stage, c.attributes, c.segment, e.experiment_id, e.variant_id \
         FROM unnest($1::text[]) AS q(id) \
         LEFT JOIN customers c ON c.customer_id = q.id \
         LEFT JOIN exposures e ON e.customer_id = q.id \
         WHERE c.customer_id IS NOT NULL OR e.customer_id IS NOT NULL",
    )
    .bind::<Array<Text>, _>(customer_ids)
    .load(conn)
    .await?;
    let mut out: HashMap<String, CustomerFacts> = HashMap::new();
    for row in rows {
        let facts = out.entry(row.customer_id).or_default();
        if row.stage.is_some() {
            facts.stage = row.stage;
        }
        if let Some(Value::Object(attributes)) = row.attributes {
            facts.attributes = attributes;
        }
        if row.segment.is_some() {
            facts.segment = row.segment;
        }
        if let (Some(experiment), Some(variant)) = (row.experiment_id, row.variant_id) {
            facts.exposures.insert(experiment, variant);
        }
    }
    Ok(out)
}

/// A first exposure to store.
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = exposures)]
pub struct NewExposure {
    /// Customer.
    pub customer_id: String,
    /// Experiment.
    pub experiment_id: i64,
    /// Variant.
    pub variant_id: i64,
    /// Forced by a QA override.
    pub is_override: bool,
}

/// Attributes (and segment) to merge into a customer, creating it if needed.
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = customers)]
pub struct CustomerUpdate {
    /// Customer.
    pub customer_id: String,
    /// Attributes to merge (new keys win, others stay).
    pub attributes: Value,
    /// Segment, when given.
    pub segment: Option<String>,
}

diesel::define_sql_function! {
    /// SQL `coalesce` for nullable text.
    fn coalesce(x: Nullable<Text>, y: Nullable<Text>) -> Nullable<Text>;
}

/// Stores a batch in one transaction: merges customer attributes, inserts first exposures (a
/// concurrent writer's row wins a race), and returns the stored variant of every exposure asked
/// for, keyed by (customer, experiment).
pub async fn write_batch(
    conn: &mut AsyncPgConnection,
    customer_updates: &[CustomerUpdate],
    new: &[NewExposure],
) -> QueryResult<HashMap<(String, i64), i64>> {
    conn.transaction(async |conn| {
        if !customer_updates.is_empty() {
            diesel::insert_into(customers::table)
                .values(customer_updates)
                .on_conflict(customers::customer_id)
                .do_update()
                .set((
                    customers::attributes.eq(customers::attributes.concat(excluded(customers::attributes))),
                    customers::segment.eq(coalesce(excluded(customers::segment), customers::segment)),
                    customers::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
        }
        let mut stored: HashMap<(String, i64), i64> = HashMap::with_capacity(new.len());
        if new.is_empty() {
            return Ok(stored);
        }
        let inserted: Vec<(String, i64, i64)> = diesel::insert_into(exposures::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning((exposures::customer_id, exposures::experiment_id, exposures::variant_id))
            .get_results(conn)
            .await?;
        for (customer, experiment, variant) in inserted {
            stored.insert((customer, experiment), variant);
        }
        if stored.len() < new.len() {
            // Someone stored these first (another request or node): their variant is the answer.
            let missing: Vec<&str> = new
                .iter()
                .filter(|n| !stored.contains_key(&(n.customer_id.clone(), n.experiment_id)))
                .map(|n| n.customer_id.as_str())
                .collect();
            let existing: Vec<(String, i64, i64)> = exposures::table
                .filter(exposures::customer_id.eq_any(&missing))
                .select((exposures::customer_id, exposures::experiment_id, exposures::variant_id))
                .load(conn)
                .await?;
            for (customer, experiment, variant) in existing {
                stored.entry((customer, experiment)).or_insert(variant);
            }
        }
        Ok(stored)
    })
    .await
}

/// How many exposures an experiment has per variant id (for tests and checks).
pub async fn count_by_variant(conn: &mut AsyncPgConnection, experiment_id: i64) -> QueryResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = exposures::table
        .filter(exposures::experiment_id.eq(experiment_id))
        .group_by(exposures::variant_id)
        .select((exposures::variant_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
