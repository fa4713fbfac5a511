//! Text enums are typed in the rows: a stored role or status that names no value fails the load
//! with a message saying what was expected; it is never skipped or read as something else.

use crate::support::app::assert_envelope;
use crate::support::{shipped_experiments, TestApp};
use diesel_async::SimpleAsyncConnection;
use stagelab::db::models::{api_keys, experiments, users};
use stagelab::domain::key::KeyRole;

/// Lets a column hold any text (the migrations' CHECK constraints keep them valid), then stores
/// `value` in every row, as a hand edit or a newer version of the service might.
async fn corrupt(app: &TestApp, table: &str, column: &str, value: &str) {
    let mut conn = app.pool.get().await.unwrap();
    let sql =
        format!("ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_check; UPDATE {table} SET {column} = '{value}'");
    conn.batch_execute(&sql).await.unwrap();
}

fn assert_unknown(result: Result<impl std::fmt::Debug, diesel::result::Error>, expected: &str) {
    let err = result.expect_err("an unknown stored value fails the load");
    assert!(matches!(err, diesel::result::Error::DeserializationError(_)), "{err:?}");
    let logged = stagelab::errors::with_causes(&err);
    assert!(logged.contains(expected), "{logged}");
}

#[tokio::test]
async fn unknown_roles_and_statuses_fail_the_load() {
    let app = TestApp::spawn().await;
    stagelab::apply::run(&app.pool, &shipped_experiments(), false, "test").await.unwrap();
    let admin = app.create_key(KeyRole::Admin).await;
    let mut conn = app.pool.get().await.unwrap();
    let hash = stagelab::domain::password::hash("correct horse battery").unwrap();
    let new = users::NewUser { email: "ana@example.com", password_hash: &hash, role: "viewer" };
    users::insert(&mut conn, &new).await.unwrap();
    assert_eq!(api_keys::list(&mut conn).await.unwrap()[0].role, KeyRole::Admin);
    assert_eq!(experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap().def.status.as_str(), "running");

    corrupt(&app, "experiments", "status", "live").await;
    let expected = r#"unknown status "live" (draft, running, paused, stopped or shipped)"#;
    assert_unknown(experiments::find(&mut conn, "welcome-offer").await, expected);
    assert_unknown(experiments::load_all(&mut conn).await, expected);
    let (status, body) = app.get("/api/v1/experiments/welcome-offer", Some(&admin)).await;
    assert_eq!(status, 500, "{body}");
    assert_envelope(&body, "internal");
    assert!(!body.to_string().contains("live"), "the cause is logged, not sent: {body}");

    corrupt(&app, "api_keys", "role", "superuser").await;
    assert_unknown(api_keys::list(&mut conn).await, r#"unknown key role "superuser" (storefront or admin)"#);

    corrupt(&app, "users", "role", "owner").await;
    assert_unknown(users::list(&mut conn).await, r#"unknown user role "owner" (admin, editor or viewer)"#);
}
