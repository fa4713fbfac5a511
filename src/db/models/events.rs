//! `events`: storing a validated batch atomically and keeping customers' stages current.

use crate::domain::lifecycle::Lifecycle;
use crate::events::progress::{self, Evidence};
use crate::events::Event;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Bool, Float8, Nullable, Text, Timestamptz};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::{HashMap, HashSet};

/// What storing a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Ingested {
    /// Events stored now.
    pub accepted: usize,
    /// Events whose id this source had sent before (or twice in the batch): counted, not stored.
    pub duplicates: usize,
}

#[derive(diesel::QueryableByName)]
struct CustomerRow {
    #[diesel(sql_type = Text)]
    customer_id: String,
}

#[derive(diesel::QueryableByName)]
struct EvidenceRow {
    #[diesel(sql_type = Text)]
    customer_id: String,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Nullable<Text>)]
    stage: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    first_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    second_at: Option<DateTime<Utc>>,
}

/// Stores a validated batch from `source` in one transaction: new events are inserted in one
/// statement (a retried id is skipped, also when two retries race), then the stage of every
/// customer with new events is derived again from all of their events.
pub async fn ingest(
    conn: &mut AsyncPgConnection,
    source: &str,
    events: &[Event],
    lifecycle: &Lifecycle,
) -> QueryResult<Ingested> {
    // One row per id, in id order: racing batches then lock index entries in the same order.
    let mut seen = HashSet::new();
    let mut unique: Vec<&Event> = events.iter().filter(|e| seen.insert(e.id.as_str())).collect();
    unique.sort_by(|a, b| a.id.cmp(&b.id));
    let column = |f: fn(&Event) -> Option<String>| unique.iter().map(|e| f(e)).collect::<Vec<Option<String>>>();
    let ids: Vec<&str> = unique.iter().map(|e| e.id.as_str()).collect();
    let customers: Vec<&str> = unique.iter().map(|e| e.customer_id.as_str()).collect();
    let types: Vec<&str> = unique.iter().map(|e| e.event_type.as_str()).collect();
    let stages = column(|e| e.stage.clone());
    let values: Vec<Option<f64>> = unique.iter().map(|e| e.value).collect();
    let currencies = column(|e| e.currency.clone());
    let orders = column(|e| e.order_id.clone());
    let referred = column(|e| e.referred_customer_id.clone());
    let times: Vec<DateTime<Utc>> = unique.iter().map(|e| e.occurred_at).collect();
    let late: Vec<bool> = unique.iter().map(|e| e.is_late).collect();

    conn.transaction(async |conn| {
        let inserted: Vec<CustomerRow> = diesel::sql_query(
            "INSERT INTO events (source, event_id, customer_id, event_type, stage, value, currency, order_id, \
                                 referred_customer_id, occurred_at, is_late) \
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], \
                                      $8::text[], $9::text[], $10::timestamptz[], $11::bool[]) \
             ON CONFLICT (source, event_id) DO NOTHING RETURNING customer_id",
        )
        .bind::<Text, _>(source)
        .bind::<Array<Text>, _>(&ids)
        .bind::<Array<Text>, _>(&customers)
        .bind::<Array<Text>, _>(&types)
        .bind::<Array<Nullable<Text>>, _>(&stages)
        .bind::<Array<Nullable<Float8>>, _>(&values)
        .bind::<Array<Nullable<Text>>, _>(&currencies)
        .bind::<Array<Nullable<Text>>, _>(&orders)
        .bind::<Array<Nullable<Text>>, _>(&referred)
        .bind::<Array<Timestamptz>, _>(&times)
        .bind::<Array<Bool>, _>(&late)
        .load(conn)
        .await?;
        let result = Ingested { accepted: inserted.len(), duplicates: events.len() - inserted.len() };
        let mut affected: Vec<String> = inserted.into_iter().map(|r| r.customer_id).collect();
        affected.sort_unstable();
        affected.dedup();
        if !affected.is_empty() {
            update_stages(conn, &affected, lifecycle).await?;
        }
        Ok(result)
    })
    .await
}

/// Derives the stage of these customers (sorted ids) from all of their events and stores it.
async fn update_stages(conn: &mut AsyncPgConnection, customers: &[String], lifecycle: &Lifecycle) -> QueryResult<()> {
    // Create missing customers and lock every one of them, in one pass in id order, which
    // serialises concurrent batches per customer (the evidence query below then sees every
    // committed event of the customer). One pass matters: inserting the new rows first and then
    // locking the existing ones would hold a later id while waiting for an earlier one, against
    // the order in which the exposure writer takes them, and the two would deadlock.
    diesel::sql_query(
        "INSERT INTO customers (customer_id) SELECT unnest($1::text[]) \
         ON CONFLICT (customer_id) DO UPDATE SET customer_id = excluded.customer_id",
    )
    .bind::<Array<Text>, _>(customers)
    .execute(conn)
    .await?;
    // Purchases count once per order (the same order may arrive from two sources, e.g. live and
    // imported); a purchase without an order id is an order of its own.
    let rows: Vec<EvidenceRow> = diesel::sql_query(
        "WITH proofs AS ( \
           SELECT customer_id, event_type, stage, min(occurred_at) AS at FROM events \
           WHERE customer_id = ANY($1) \
           GROUP BY customer_id, event_type, stage, \
                    CASE WHEN event_type = 'purchase' THEN coalesce(order_id, source || ':' || event_id) END) \
         SELECT customer_id, event_type, stage, min(at) AS first_at, \
                (array_agg(at ORDER BY at))[2] AS second_at \
         FROM proofs GROUP BY customer_id, event_type, stage",
    )
    .bind::<Array<Text>, _>(customers)
    .load(conn)
    .await?;
    let mut evidence: HashMap<String, Evidence> = HashMap::new();
    for row in rows {
        let e = evidence.entry(row.customer_id).or_default();
        match (row.event_type.as_str(), row.stage) {
            ("stage", Some(stage)) => {
                e.stages.insert(stage, row.first_at);
            }
            ("purchase", _) => {
                e.first_purchase = Some(row.first_at);
                e.second_purchase = row.second_at;
            }
            ("referral", _) => e.first_referral = Some(row.first_at),
            _ => {}
        }
    }
    let (mut ids, mut stages, mut times) = (Vec::new(), Vec::new(), Vec::new());
    for (customer, e) in &evidence {
        if let Some((stage, at)) = progress::furthest(lifecycle, e) {
            ids.push(customer.as_str());
            stages.push(stage);
            times.push(at);
        }
    }
    diesel::sql_query(
        "UPDATE customers AS c SET stage = u.stage, stage_reached_at = u.reached_at, updated_at = now() \
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(customer_id, stage, reached_at) \
         WHERE c.customer_id = u.customer_id \
           AND (c.stage IS DISTINCT FROM u.stage OR c.stage_reached_at IS DISTINCT FROM u.reached_at)",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Text>, _>(&stages)
    .bind::<Array<Timestamptz>, _>(&times)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether any event is stored at all (the demo fills only an empty store).
pub async fn any(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    use crate::db::schema::events;
    use diesel::QueryDsl;
    diesel::select(diesel::dsl::exists(events::table.select(events::id))).get_result(conn).await
}

/// Refreshes the planner's statistics of the tables a bulk load filled (events, exposures,
/// customers), so that the first reports after it get good plans without waiting for autovacuum.
pub async fn analyze_after_bulk_load(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("ANALYZE events, exposures, customers").execute(conn).await.map(|_| ())
}
