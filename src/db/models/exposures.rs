//! `exposures` and the customer facts assignment reads: one round trip for any number of
//! customers, and one transaction for a whole batch of first exposures.

use crate::db::schema::{customers, exposures};
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel::upsert::excluded;
use diesel::{ExpressionMethods, PgJsonbExpressionMethods, QueryDsl, QueryResult};
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

/// The stored facts of these customers (absent customers are left out): two indexed lookups
/// (`= ANY($1)` on each primary key), whatever the number of customers.
pub async fn facts(
    conn: &mut AsyncPgConnection,
    customer_ids: &[String],
) -> QueryResult<HashMap<String, CustomerFacts>> {
    let rows: Vec<(String, Option<String>, Value, Option<String>)> = customers::table
        .filter(customers::customer_id.eq_any(customer_ids))
        .select((customers::customer_id, customers::stage, customers::attributes, customers::segment))
        .load(conn)
        .await?;
    let mut out: HashMap<String, CustomerFacts> = HashMap::with_capacity(rows.len());
    for (customer, stage, attributes, segment) in rows {
        let attributes = match attributes {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        out.insert(customer, CustomerFacts { stage, attributes, segment, exposures: HashMap::new() });
    }
    let exposed: Vec<(String, i64, i64)> = exposures::table
        .filter(exposures::customer_id.eq_any(customer_ids))
        .select((exposures::customer_id, exposures::experiment_id, exposures::variant_id))
        .load(conn)
        .await?;
    for (customer, experiment, variant) in exposed {
        out.entry(customer).or_default().exposures.insert(experiment, variant);
    }
    Ok(out)
}

/// An exposure row as `RETURNING` gives it.
#[derive(diesel::QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = Text)]
    customer_id: String,
    #[diesel(sql_type = BigInt)]
    experiment_id: i64,
    #[diesel(sql_type = BigInt)]
    variant_id: i64,
    #[diesel(sql_type = Bool)]
    new: bool,
}

/// A first exposure to store.
#[derive(Debug, Clone)]
pub struct NewExposure {
    /// Customer.
    pub customer_id: String,
    /// Experiment.
    pub experiment_id: i64,
    /// Variant.
    pub variant_id: i64,
    /// Forced by a QA override.
    pub is_override: bool,
    /// When the customer was exposed, for back-filled history (admin keys only); `None` is the
    /// database's `now()`.
    pub exposed_at: Option<DateTime<Utc>>,
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

/// Every stored exposure of some customers: (customer, experiment) → variant id.
pub type Stored = HashMap<(String, i64), StoredExposure>;

/// A stored exposure as a write reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredExposure {
    /// The variant.
    pub variant_id: i64,
    /// Inserted by this write (a first exposure), not found already stored.
    pub new: bool,
}

/// Stores a batch atomically: merges customer attributes, inserts first exposures (an existing
/// row wins a race), and returns every stored exposure of `customers` afterwards. Without
/// attribute updates this is one statement (one round trip, its own transaction); with them, one
/// transaction.
pub async fn write_batch(
    conn: &mut AsyncPgConnection,
    customer_updates: &[CustomerUpdate],
    new: &[NewExposure],
    customers: &[&str],
) -> QueryResult<Stored> {
    if customer_updates.is_empty() {
        return insert_exposures(conn, new, customers).await;
    }
    conn.transaction(async |conn| {
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
        insert_exposures(conn, new, customers).await
    })
    .await
}

/// Inserts the new exposures and returns every exposure of the batch's customers, new and
/// existing, in one statement (a second one only after a race). The `SELECT` sees the table as it
/// was before the insert, so the two parts never overlap and an existing exposure (a returning
/// customer's, or a concurrent writer's) is what comes back for its key.
async fn insert_exposures(
    conn: &mut AsyncPgConnection,
    new: &[NewExposure],
    customers: &[&str],
) -> QueryResult<Stored> {
    // One statement text for every batch size (array parameters), so it is prepared once.
    let new_customers: Vec<&str> = new.iter().map(|n| n.customer_id.as_str()).collect();
    let experiments: Vec<i64> = new.iter().map(|n| n.experiment_id).collect();
    let variants: Vec<i64> = new.iter().map(|n| n.variant_id).collect();
    let overrides: Vec<bool> = new.iter().map(|n| n.is_override).collect();
    let times: Vec<Option<DateTime<Utc>>> = new.iter().map(|n| n.exposed_at).collect();
    let rows: Vec<StoredRow> = diesel::sql_query(
        "WITH inserted AS ( \
           INSERT INTO exposures (customer_id, experiment_id, variant_id, is_override, exposed_at) \
           SELECT c, e, v, o, coalesce(t, now()) \
           FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bool[], $5::timestamptz[]) AS u(c, e, v, o, t) \
           ON CONFLICT DO NOTHING RETURNING customer_id, experiment_id, variant_id) \
         SELECT customer_id, experiment_id, variant_id, true AS new FROM inserted \
         UNION ALL \
         SELECT customer_id, experiment_id, variant_id, false AS new FROM exposures WHERE customer_id = ANY($6::text[])",
    )
    .bind::<Array<Text>, _>(&new_customers)
    .bind::<Array<BigInt>, _>(&experiments)
    .bind::<Array<BigInt>, _>(&variants)
    .bind::<Array<Bool>, _>(&overrides)
    .bind::<Array<Nullable<Timestamptz>>, _>(&times)
    .bind::<Array<Text>, _>(customers)
    .load(conn)
    .await?;
    let mut stored: Stored = rows
        .into_iter()
        .map(|r| ((r.customer_id, r.experiment_id), StoredExposure { variant_id: r.variant_id, new: r.new }))
        .collect();
    // A concurrent writer may have inserted one of our rows after this statement's snapshot was
    // taken: the insert then skips it and the SELECT cannot see it. A new statement can.
    let missing: Vec<&str> = new
        .iter()
        .filter(|n| !stored.contains_key(&(n.customer_id.clone(), n.experiment_id)))
        .map(|n| n.customer_id.as_str())
        .collect();
    if !missing.is_empty() {
        let raced: Vec<(String, i64, i64)> = exposures::table
            .filter(exposures::customer_id.eq_any(&missing))
            .select((exposures::customer_id, exposures::experiment_id, exposures::variant_id))
            .load(conn)
            .await?;
        stored.extend(raced.into_iter().map(|(c, e, v)| ((c, e), StoredExposure { variant_id: v, new: false })));
    }
    Ok(stored)
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
