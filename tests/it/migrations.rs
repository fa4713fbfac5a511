use crate::support::TestDb;
use diesel_async::RunQueryDsl;
use stagelab::db::migrate;

#[derive(diesel::QueryableByName, Debug)]
struct Table {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
}

async fn tables(db: &TestDb) -> Vec<String> {
    let mut conn = db.conn().await;
    let rows: Vec<Table> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|t| t.table_name).collect()
}

#[derive(diesel::QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Indexes, constraints and sequences left in the schema (down.sql must remove them all).
async fn leftovers(db: &TestDb) -> i64 {
    let mut conn = db.conn().await;
    let rows: Vec<Count> = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace \
         WHERE ns.nspname = 'public' AND c.relname NOT LIKE '__diesel_schema_migrations%'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    rows[0].n
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_go_up_down_and_up_again() {
    let db = TestDb::empty().await;
    assert!(tables(&db).await.is_empty());
    assert!(!migrate::pending(db.url()).await.unwrap().is_empty());

    let applied = migrate::run_pending(db.url()).await.unwrap();
    assert!(!applied.is_empty());
    let expected = [
        "api_keys",
        "audit_log",
        "customers",
        "deliveries",
        "events",
        "experiments",
        "exposures",
        "layers",
        "lifecycle_stages",
        "notifications",
        "outcome_state",
        "outcomes",
        "programme_members",
        "sessions",
        "settings",
        "users",
        "variants",
        "watch_state",
        "webhooks",
    ];
    assert_eq!(tables(&db).await, expected);
    assert!(migrate::pending(db.url()).await.unwrap().is_empty());
    assert!(migrate::run_pending(db.url()).await.unwrap().is_empty(), "a second run applies nothing");

    let reverted = migrate::revert_all(db.url()).await.unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert!(tables(&db).await.is_empty());
    assert_eq!(leftovers(&db).await, 0, "down.sql leaves nothing behind");

    migrate::run_pending(db.url()).await.unwrap();
    assert_eq!(tables(&db).await, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrations_apply_once() {
    let db = TestDb::empty().await;
    let (a, b) = tokio::join!(migrate::run_pending(db.url()), migrate::run_pending(db.url()));
    let (a, b) = (a.unwrap(), b.unwrap());
    let total = diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&migrate::MIGRATIONS).unwrap().len();
    assert_eq!(a.len() + b.len(), total, "each migration ran exactly once: {a:?} {b:?}");
}
