//! `events`: storing a validated batch atomically and keeping customers' stages current.

use crate::db::schema::customers;
use crate::domain::lifecycle::Lifecycle;
use crate::events::progress::{self, Evidence};
use crate::events::{Event, EventType};
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Bool, Float8, Jsonb, Nullable, Text, Timestamptz};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, SelectableHelper};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What storing a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Ingested {
    /// Events stored now.
    pub accepted: usize,
    /// Events whose id this source had sent before (or twice in the batch): counted, not stored.
    pub duplicates: usize,
}

#[derive(diesel::QueryableByName)]
struct InsertedRow {
    #[diesel(sql_type = Text)]
    event_id: String,
}

/// Stores a validated batch from `source` in one transaction: new events are inserted in one
/// statement (a retried id is skipped, also when two retries race), then the evidence summary and
/// stage of each customer with new events are brought up to date (see [`update_customers`]).
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
        // The customer lookups below must stay index lookups: for a few thousand ids the planner
        // prefers a (parallel) scan of every customer, although each probe is a cached page, and
        // while the table is new its statistics make a scan look cheapest for any number.
        conn.batch_execute("SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0").await?;
        let inserted: Vec<InsertedRow> = diesel::sql_query(
            "INSERT INTO events (source, event_id, customer_id, event_type, stage, value, currency, order_id, \
                                 referred_customer_id, occurred_at, is_late) \
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], \
                                      $8::text[], $9::text[], $10::timestamptz[], $11::bool[]) \
             ON CONFLICT (source, event_id) DO NOTHING RETURNING event_id",
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
        // What the new events prove, per customer (in id order).
        let mut proven: BTreeMap<&str, Evidence> = BTreeMap::new();
        for row in &inserted {
            let Ok(i) = unique.binary_search_by(|e| e.id.as_str().cmp(&row.event_id)) else { continue };
            let event = unique[i];
            let evidence = proven.entry(event.customer_id.as_str()).or_default();
            match event.event_type {
                EventType::Stage => {
                    if let Some(stage) = &event.stage {
                        evidence.add_stage(stage, event.occurred_at);
                    }
                }
                EventType::Purchase => {
                    evidence.add_purchase(&order_key(source, &event.id, event.order_id.as_deref()), event.occurred_at)
                }
                EventType::Referral => evidence.add_referral(event.occurred_at),
            }
        }
        if !proven.is_empty() {
            update_customers(conn, &proven, lifecycle).await?;
        }
        Ok(result)
    })
    .await
}

/// The order a purchase belongs to: its order id, or the event itself (`source:event_id`). The
/// same order may arrive from two sources (e.g. live and imported) and counts once.
fn order_key(source: &str, event_id: &str, order_id: Option<&str>) -> String {
    order_id.map_or_else(|| format!("{source}:{event_id}"), str::to_string)
}

/// A customer's stored summary and stage.
#[derive(diesel::Queryable, diesel::Selectable, Default)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
struct Stored {
    customer_id: String,
    #[diesel(deserialize_as = StoredEvidence)]
    evidence: Summary,
    stage: Option<String>,
    stage_reached_at: Option<DateTime<Utc>>,
}

/// A stored summary as read.
#[derive(Default)]
enum Summary {
    /// Read as stored.
    Read(Evidence),
    /// This version cannot read it.
    #[default]
    Unreadable,
    /// Unreadable, so rebuilt from the customer's events: to be written back.
    Rebuilt(Evidence),
}

/// `customers.evidence` read straight into an [`Evidence`] (no JSON value tree in between).
#[derive(diesel::deserialize::FromSqlRow)]
struct StoredEvidence(Summary);

impl diesel::deserialize::FromSql<Jsonb, diesel::pg::Pg> for StoredEvidence {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        // JSONB's binary form: a version byte (1), then the JSON text.
        match value.as_bytes().split_first() {
            Some((1, json)) => {
                Ok(StoredEvidence(serde_json::from_slice(json).map_or(Summary::Unreadable, Summary::Read)))
            }
            _ => Err("unsupported JSONB encoding".into()),
        }
    }
}

impl From<StoredEvidence> for Summary {
    fn from(stored: StoredEvidence) -> Summary {
        stored.0
    }
}

/// What to write for a customer: the merged summary and the stage it proves.
struct Change {
    evidence: Evidence,
    stage: Option<String>,
    reached_at: Option<DateTime<Utc>>,
}

impl Stored {
    /// The summary with `new` merged in and the stage it proves (the stored stage when it proves
    /// none); `None` when nothing would change.
    fn merged(&self, new: &Evidence, lifecycle: &Lifecycle) -> Option<Change> {
        let (mut evidence, rebuilt) = match &self.evidence {
            Summary::Read(e) => (e.clone(), false),
            Summary::Rebuilt(e) => (e.clone(), true),
            Summary::Unreadable => (Evidence::default(), true),
        };
        let changed = evidence.merge(new);
        let (stage, reached_at) = match progress::furthest(lifecycle, &evidence) {
            Some((stage, at)) => (Some(stage), Some(at)),
            None => (self.stage.clone(), self.stage_reached_at),
        };
        let moved = stage != self.stage || reached_at != self.stage_reached_at;
        (changed || moved || rebuilt).then_some(Change { evidence, stage, reached_at })
    }
}

/// The stored summary and stage of these customers (absent ones are left out). A summary this
/// version cannot read is rebuilt from the customer's events.
async fn stored(conn: &mut AsyncPgConnection, ids: &[&str]) -> QueryResult<HashMap<String, Stored>> {
    let rows: Vec<Stored> =
        customers::table.filter(customers::customer_id.eq_any(ids)).select(Stored::as_select()).load(conn).await?;
    let mut rows: HashMap<String, Stored> = rows.into_iter().map(|s| (s.customer_id.clone(), s)).collect();
    let unreadable: Vec<&str> =
        rows.values().filter(|s| matches!(s.evidence, Summary::Unreadable)).map(|s| s.customer_id.as_str()).collect();
    if !unreadable.is_empty() {
        tracing::warn!(customers = unreadable.len(), "rebuilding unreadable evidence summaries from events");
        let mut rebuilt = from_events(conn, &unreadable).await?;
        for row in rows.values_mut().filter(|row| matches!(row.evidence, Summary::Unreadable)) {
            row.evidence = Summary::Rebuilt(rebuilt.remove(&row.customer_id).unwrap_or_default());
        }
    }
    Ok(rows)
}

/// What all stored events of these customers prove, read from `events`.
async fn from_events(conn: &mut AsyncPgConnection, ids: &[&str]) -> QueryResult<HashMap<String, Evidence>> {
    use crate::db::schema::events;
    type Row = (String, String, String, EventType, Option<String>, Option<String>, DateTime<Utc>);
    let rows: Vec<Row> = events::table
        .filter(events::customer_id.eq_any(ids))
        .select((
            events::customer_id,
            events::source,
            events::event_id,
            events::event_type,
            events::stage,
            events::order_id,
            events::occurred_at,
        ))
        .load(conn)
        .await?;
    let mut out: HashMap<String, Evidence> = HashMap::new();
    for (customer, source, id, kind, stage, order, at) in rows {
        let evidence = out.entry(customer).or_default();
        match kind {
            EventType::Stage => {
                if let Some(stage) = stage {
                    evidence.add_stage(&stage, at);
                }
            }
            EventType::Purchase => evidence.add_purchase(&order_key(&source, &id, order.as_deref()), at),
            EventType::Referral => evidence.add_referral(at),
        }
    }
    Ok(out)
}

/// Merges what a batch proves into its customers' summaries and moves their stages on.
///
/// The summaries are read first without locks: a customer whose summary already absorbs the
/// batch and whose stage is current needs no write, whatever concurrent batches do (merging is a
/// join, so a later summary absorbs whatever an earlier one did). Only the others are locked, in
/// one ordered statement that also creates missing customers with their final summary, so
/// concurrent batches and the exposure writer (which takes customers in the same order)
/// serialise per customer without deadlocking, and hold the locks only for the end of the
/// transaction. Customers that existed are then read again (now current) and updated.
async fn update_customers(
    conn: &mut AsyncPgConnection,
    proven: &BTreeMap<&str, Evidence>,
    lifecycle: &Lifecycle,
) -> QueryResult<()> {
    let ids: Vec<&str> = proven.keys().copied().collect();
    let before = stored(conn, &ids).await?;
    let absent = Stored { evidence: Summary::Read(Evidence::default()), ..Stored::default() };
    let changing: Vec<(&str, Change)> = proven
        .iter()
        .filter_map(|(id, new)| Some((*id, before.get(*id).unwrap_or(&absent).merged(new, lifecycle)?)))
        .collect();
    if changing.is_empty() {
        return Ok(());
    }
    // A customer still missing is inserted as the batch proves them (they have no other events:
    // every batch creates its customers); one that exists is only locked.
    let inserted: Vec<InsertedCustomer> = write_changes(
        conn,
        "INSERT INTO customers (customer_id, evidence, stage, stage_reached_at) \
         SELECT * FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::timestamptz[]) \
         ON CONFLICT (customer_id) DO UPDATE SET customer_id = excluded.customer_id WHERE false \
         RETURNING customer_id",
        &changing,
    )
    .await?;
    let inserted: HashSet<&str> = inserted.iter().map(|r| r.customer_id.as_str()).collect();
    let existing: Vec<&str> = changing.iter().map(|(id, _)| *id).filter(|id| !inserted.contains(id)).collect();
    if existing.is_empty() {
        return Ok(());
    }
    let now = stored(conn, &existing).await?;
    let updates: Vec<(&str, Change)> =
        existing.into_iter().filter_map(|id| Some((id, now.get(id)?.merged(&proven[id], lifecycle)?))).collect();
    if !updates.is_empty() {
        write_changes::<InsertedCustomer>(
            conn,
            "UPDATE customers AS c \
             SET evidence = u.evidence, stage = u.stage, stage_reached_at = u.reached_at, updated_at = now() \
             FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::timestamptz[]) \
                  AS u(customer_id, evidence, stage, reached_at) \
             WHERE c.customer_id = u.customer_id \
             RETURNING c.customer_id",
            &updates,
        )
        .await?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct InsertedCustomer {
    #[diesel(sql_type = Text)]
    customer_id: String,
}

/// Runs `sql` with the changes as four arrays: ids, summaries, stages and times.
async fn write_changes<T: diesel::QueryableByName<diesel::pg::Pg> + Send + 'static>(
    conn: &mut AsyncPgConnection,
    sql: &str,
    changes: &[(&str, Change)],
) -> QueryResult<Vec<T>> {
    let ids: Vec<&str> = changes.iter().map(|(id, _)| *id).collect();
    let summaries: Vec<serde_json::Value> =
        changes.iter().map(|(_, c)| serde_json::to_value(&c.evidence).unwrap_or_default()).collect();
    let stages: Vec<Option<&str>> = changes.iter().map(|(_, c)| c.stage.as_deref()).collect();
    let times: Vec<Option<DateTime<Utc>>> = changes.iter().map(|(_, c)| c.reached_at).collect();
    diesel::sql_query(sql)
        .bind::<Array<Text>, _>(&ids)
        .bind::<Array<Jsonb>, _>(&summaries)
        .bind::<Array<Nullable<Text>>, _>(&stages)
        .bind::<Array<Nullable<Timestamptz>>, _>(&times)
        .load(conn)
        .await
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
