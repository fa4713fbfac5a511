//! `exposures` and the customer facts assignment reads: one round trip for any number of
//! customers, and one transaction for a whole batch of first exposures.

use crate::db::schema::{customers, exposures, programme_members};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamptz};
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
    /// The stages at which the customer is a recorded programme member.
    pub members: Vec<String>,
}

/// The stored facts of these customers (absent customers are left out): three indexed lookups
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
        let facts = CustomerFacts { stage, attributes, segment, ..CustomerFacts::default() };
        out.insert(customer, facts);
    }
    let exposed: Vec<(String, i64, i64)> = exposures::table
        .filter(exposures::customer_id.eq_any(customer_ids))
        .select((exposures::customer_id, exposures::experiment_id, exposures::variant_id))
        .load(conn)
        .await?;
    for (customer, experiment, variant) in exposed {
        out.entry(customer).or_default().exposures.insert(experiment, variant);
    }
    let members: Vec<(String, String)> = programme_members::table
        .filter(programme_members::customer_id.eq_any(customer_ids))
        .select((programme_members::customer_id, programme_members::stage))
        .load(conn)
        .await?;
    for (customer, stage) in members {
        out.entry(customer).or_default().members.push(stage);
    }
    Ok(out)
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

/// A programme membership to record (CONTRACT §9): once per customer and stage, the first
/// request's wins.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    /// Customer.
    pub customer_id: String,
    /// The stage asked at.
    pub stage: String,
    /// In the global holdout.
    pub held_out: bool,
    /// The holdout share in force.
    pub holdout_share: f64,
    /// When first seen there (back-dated requests); `None` is the database's `now()`.
    pub first_seen_at: Option<DateTime<Utc>>,
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

/// A stored exposure as a write reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredExposure {
    /// The experiment.
    pub experiment_id: i64,
    /// The variant.
    pub variant_id: i64,
    /// Inserted by this write (a first exposure), not found already stored.
    pub new: bool,
}

/// Stored exposures of some customers, as a write reports them, by customer.
#[derive(Debug, Clone, Default)]
pub struct Stored(HashMap<String, Vec<StoredExposure>>);

impl Stored {
    /// The customer's exposure to the experiment, if reported.
    pub fn get(&self, customer: &str, experiment_id: i64) -> Option<&StoredExposure> {
        self.of(customer).iter().find(|s| s.experiment_id == experiment_id)
    }

    /// Every reported exposure of the customer.
    pub fn of(&self, customer: &str) -> &[StoredExposure] {
        self.0.get(customer).map_or(&[], Vec::as_slice)
    }

    /// Adds an exposure unless one of the same customer and experiment is there (it stays).
    pub fn add(&mut self, customer: &str, exposure: StoredExposure) {
        match self.0.get_mut(customer) {
            Some(list) if list.iter().any(|s| s.experiment_id == exposure.experiment_id) => {}
            Some(list) => list.push(exposure),
            None => {
                self.0.insert(customer.to_string(), vec![exposure]);
            }
        }
    }
}

/// A batch for [`write_batch`].
#[derive(Debug, Clone, Copy)]
pub struct BatchRows<'a> {
    /// Attribute merges.
    pub customers: &'a [CustomerUpdate],
    /// Proposed first exposures.
    pub exposures: &'a [NewExposure],
    /// Programme memberships to record (a stored one stays).
    pub members: &'a [NewMember],
    /// Customers whose every stored exposure is returned.
    pub full: &'a [&'a str],
}

/// Stores a batch atomically: merges customer attributes, records programme memberships and inserts
/// first exposures (an existing row wins a race). Returns the inserted rows, the stored row of
/// every exposure that was already there, and every stored exposure of the customers in `full`.
/// Without attribute updates this is one prepared statement (its own transaction; the memberships
/// are a data-modifying CTE of the exposures' insert), plus a read only after a race or for `full`.
pub async fn write_batch(conn: &mut AsyncPgConnection, rows: BatchRows<'_>) -> QueryResult<Stored> {
    let BatchRows { customers: customer_updates, exposures: new, members, full } = rows;
    if customer_updates.is_empty() {
        return insert_exposures(conn, new, members, full).await;
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
        insert_exposures(conn, new, members, full).await
    })
    .await
}

/// Inserts the new exposures, then reads what the insert skipped (a row already stored, by a
/// returning customer's earlier request or a concurrent writer) and the exposures of `full`. The
/// insert waits for a concurrent writer of the same key to finish, so the read, a later statement,
/// sees that writer's row.
async fn insert_exposures(
    conn: &mut AsyncPgConnection,
    new: &[NewExposure],
    members: &[NewMember],
    full: &[&str],
) -> QueryResult<Stored> {
    let mut stored = Stored::default();
    if !new.is_empty() || !members.is_empty() {
        let inserted: Vec<(String, i64, i64)> = InsertExposures::new(new, members).load(conn).await?;
        for (c, e, v) in inserted {
            stored.add(&c, StoredExposure { experiment_id: e, variant_id: v, new: true });
        }
    }
    let mut read: Vec<&str> = new
        .iter()
        .filter(|n| stored.get(&n.customer_id, n.experiment_id).is_none())
        .map(|n| n.customer_id.as_str())
        .chain(full.iter().copied())
        .collect();
    if !read.is_empty() {
        read.sort_unstable();
        read.dedup();
        let found: Vec<(String, i64, i64)> = exposures::table
            .filter(exposures::customer_id.eq_any(&read))
            .select((exposures::customer_id, exposures::experiment_id, exposures::variant_id))
            .load(conn)
            .await?;
        for (c, e, v) in found {
            // A row this batch inserted stays new.
            stored.add(&c, StoredExposure { experiment_id: e, variant_id: v, new: false });
        }
    }
    Ok(stored)
}

/// `WITH m AS (INSERT INTO programme_members … ON CONFLICT DO NOTHING) INSERT INTO exposures …
/// SELECT … FROM unnest(…) ON CONFLICT DO NOTHING RETURNING …` with the batch as array parameters. Its text is the same for every batch size and its type identifies
/// it, so diesel prepares it once per connection and caches it (a `sql_query` is parsed and
/// planned on every call).
struct InsertExposures<'a> {
    customers: Vec<&'a str>,
    experiments: Vec<i64>,
    variants: Vec<i64>,
    overrides: Vec<bool>,
    times: Vec<Option<DateTime<Utc>>>,
    member_customers: Vec<&'a str>,
    member_stages: Vec<&'a str>,
    member_held_out: Vec<bool>,
    member_shares: Vec<f64>,
    member_times: Vec<Option<DateTime<Utc>>>,
}

impl<'a> InsertExposures<'a> {
    fn new(new: &'a [NewExposure], members: &'a [NewMember]) -> InsertExposures<'a> {
        InsertExposures {
            member_customers: members.iter().map(|m| m.customer_id.as_str()).collect(),
            member_stages: members.iter().map(|m| m.stage.as_str()).collect(),
            member_held_out: members.iter().map(|m| m.held_out).collect(),
            member_shares: members.iter().map(|m| m.holdout_share).collect(),
            member_times: members.iter().map(|m| m.first_seen_at).collect(),
            customers: new.iter().map(|n| n.customer_id.as_str()).collect(),
            experiments: new.iter().map(|n| n.experiment_id).collect(),
            variants: new.iter().map(|n| n.variant_id).collect(),
            overrides: new.iter().map(|n| n.is_override).collect(),
            times: new.iter().map(|n| n.exposed_at).collect(),
        }
    }
}

impl QueryId for InsertExposures<'_> {
    type QueryId = InsertExposures<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for InsertExposures<'_> {
    type SqlType = (Text, BigInt, BigInt);
}

impl QueryFragment<Pg> for InsertExposures<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH m AS (INSERT INTO programme_members (customer_id, stage, held_out, holdout_share, first_seen_at) \
             SELECT c, s, h, r, coalesce(t, now()) FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.member_customers)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.member_stages)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.member_held_out)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Double>, _>(&self.member_shares)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamptz>>, _>(&self.member_times)?;
        out.push_sql(") AS u(c, s, h, r, t) ON CONFLICT DO NOTHING) ");
        out.push_sql(
            "INSERT INTO exposures (customer_id, experiment_id, variant_id, is_override, exposed_at) \
             SELECT c, e, v, o, coalesce(t, now()) FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.customers)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.experiments)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.variants)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.overrides)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamptz>>, _>(&self.times)?;
        out.push_sql(
            ") AS u(c, e, v, o, t) \
             ON CONFLICT DO NOTHING RETURNING customer_id, experiment_id, variant_id",
        );
        Ok(())
    }
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
