//! `customers`: what the dashboard reads about them.

use crate::db::schema::customers;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Customers per current stage (`None`: no stage proven yet).
pub async fn stage_counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(Option<String>, i64)>> {
    customers::table.group_by(customers::stage).select((customers::stage, diesel::dsl::count_star())).load(conn).await
}

/// Customers first seen since `since`, per current stage.
pub async fn stage_counts_since(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    customers::table
        .filter(customers::first_seen_at.ge(since))
        .group_by(customers::stage)
        .select((customers::stage, diesel::dsl::count_star()))
        .load(conn)
        .await
}
