//! The `stagelab` binary: apply, keys, users and migrate, end to end.

use crate::support::cli::{run, stderr, stdout};
use crate::support::{experiments_copy, TestDb};
use stagelab::db::models::{api_keys, users};

#[tokio::test(flavor = "multi_thread")]
async fn apply_prints_a_plan_and_is_idempotent() {
    let db = TestDb::new().await;
    let dry = run(db.url(), &["apply", "experiments", "--dry-run"], "");
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains("experiment  create     welcome-offer"), "{text}");
    assert!(text.contains("Plan: 3 to create, 0 to update, 0 unchanged."), "{text}");
    assert!(text.contains("Dry run: nothing was written."), "{text}");

    let first = run(db.url(), &["apply"], "");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Applied."));
    let second = run(db.url(), &["apply", "experiments"], "");
    let text = stdout(&second);
    assert!(text.contains("Plan: 0 to create, 0 to update, 3 unchanged."), "{text}");
    assert!(text.contains("lifecycle   unchanged"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_names_the_file_and_line_of_an_unknown_key() {
    let db = TestDb::new().await;
    let dir = experiments_copy();
    let path = dir.path().join("welcome-offer.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("traffic = 1.0", "traffic = 1.0\ntrafic = 0.5");
    std::fs::write(&path, text).unwrap();
    let out = run(db.url(), &["apply", dir.path().to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:9: unknown field `trafic`", path.display())), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(stdout(&out).is_empty());

    let missing = run(db.url(), &["apply", "/nonexistent/dir"], "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/dir: cannot read the directory"), "{}", stderr(&missing));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_create_prints_only_the_token_and_stores_only_its_hash() {
    let db = TestDb::new().await;
    let out = run(db.url(), &["keys", "create", "tokyo-store", "--role", "storefront"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out);
    assert_eq!(token.lines().count(), 1, "{token}");
    let token = token.trim();
    assert!(token.starts_with("slk_sf_") && token.len() == 71, "{token}");

    let mut conn = db.conn().await;
    let found = api_keys::find_active(&mut conn, token).await.unwrap().unwrap();
    assert_eq!((found.name.as_str(), found.role.as_str()), ("tokyo-store", "storefront"));
    #[derive(diesel::QueryableByName)]
    struct Hit {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let hits: Vec<Hit> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT count(*) AS n FROM api_keys WHERE token_hash = $1 OR prefix = $1 OR name = $1")
            .bind::<diesel::sql_types::Text, _>(token),
        &mut conn,
    )
    .await
    .unwrap();
    assert_eq!(hits[0].n, 0, "the token itself is stored nowhere");

    let admin = run(db.url(), &["keys", "create", "ops", "--role", "admin"], "");
    assert!(stdout(&admin).starts_with("slk_ad_"));
    let list = stdout(&run(db.url(), &["keys", "list"], ""));
    assert!(list.contains("tokyo-store") && list.contains("ops") && !list.contains(token), "{list}");

    let revoke = run(db.url(), &["keys", "revoke", &found.id.to_string()], "");
    assert!(revoke.status.success());
    assert!(api_keys::find_active(&mut conn, token).await.unwrap().is_none());
    assert_eq!(run(db.url(), &["keys", "revoke", &found.id.to_string()], "").status.code(), Some(2));

    let bad_role = run(db.url(), &["keys", "create", "x", "--role", "viewer"], "");
    assert_eq!(bad_role.status.code(), Some(2));
    assert_eq!(run(db.url(), &["keys", "create", " ", "--role", "admin"], "").status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn users_create_hashes_a_given_or_generated_password() {
    let db = TestDb::new().await;
    let given = run(db.url(), &["users", "create", "Ana@Shop.JP", "--role", "editor"], "a long enough secret\n");
    assert!(given.status.success(), "{}", stderr(&given));
    assert!(!stdout(&given).contains("a long enough secret"));
    let mut conn = db.conn().await;
    let ana = users::find_by_email(&mut conn, "ana@shop.jp").await.unwrap().unwrap();
    assert_eq!(ana.role.as_str(), "editor");
    assert!(ana.password_hash.starts_with("$argon2id$"));
    assert!(stagelab::domain::password::verify("a long enough secret", &ana.password_hash));

    let generated = run(db.url(), &["users", "create", "bob@shop.jp", "--role", "viewer"], "");
    let text = stdout(&generated);
    let password = text.trim().rsplit(' ').next().unwrap();
    assert_eq!(password.len(), 20, "{text}");
    let bob = users::find_by_email(&mut conn, "bob@shop.jp").await.unwrap().unwrap();
    assert!(stagelab::domain::password::verify(password, &bob.password_hash));

    let duplicate = run(db.url(), &["users", "create", "BOB@shop.jp", "--role", "admin"], "");
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(stderr(&duplicate).contains("already exists"));
    let short = run(db.url(), &["users", "create", "c@shop.jp", "--role", "admin"], "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(stderr(&short).contains("at least 10 characters"));
    let bad_email = run(db.url(), &["users", "create", "not-an-email", "--role", "admin"], "");
    assert_eq!(bad_email.status.code(), Some(2));
    assert_eq!(run(db.url(), &["users", "create", "d@shop.jp", "--role", "owner"], "").status.code(), Some(2));
    assert_eq!(users::count(&mut conn).await.unwrap(), 2, "failed attempts store nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_reports_an_up_to_date_database() {
    let db = TestDb::new().await;
    let out = run(db.url(), &["migrate"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("up to date"));
    let unreachable = run("postgresql://nobody@127.0.0.1:1/none", &["migrate"], "");
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(stderr(&unreachable).contains("cannot connect to PostgreSQL"), "{}", stderr(&unreachable));
}
