//! Stored exposures as the database guarantees them: an exposure names a variant of its own
//! experiment, waits for a deletion of that variant as with a foreign key, and one stored by
//! another node is the answer here.

use crate::support::{edit, experiments_copy, AssignCall, TestApp};
use stagelab::db::models::{experiments, exposures};
use stagelab::domain::key::KeyRole;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn an_exposure_must_name_a_variant_of_its_own_experiment() {
    use diesel::{ExpressionMethods, QueryDsl};
    use diesel_async::RunQueryDsl;
    use stagelab::db::schema::{exposures as exposures_table, variants};
    let app = TestApp::with_experiments().await;
    let mut conn = app.pool.get().await.unwrap();
    let all: Vec<(i64, i64)> =
        variants::table.select((variants::id, variants::experiment_id)).load(&mut conn).await.unwrap();
    let (variant, own) = all[0];
    let other = all.iter().map(|(_, e)| *e).find(|e| *e != own).expect("two experiments");
    let insert = |experiment_id: i64| {
        diesel::insert_into(exposures_table::table).values((
            exposures_table::customer_id.eq("fk-check"),
            exposures_table::experiment_id.eq(experiment_id),
            exposures_table::variant_id.eq(variant),
        ))
    };
    let err = insert(other).execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("exposures_variant_fkey"), "{err}");
    assert_eq!(insert(own).execute(&mut conn).await.unwrap(), 1);
    // Nor can an update point it elsewhere, or move the variant.
    let moved = diesel::update(exposures_table::table).set(exposures_table::experiment_id.eq(other));
    let err = moved.execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("exposures_variant_fkey"), "{err}");
    let moved = diesel::update(variants::table.filter(variants::id.eq(variant))).set(variants::experiment_id.eq(other));
    let err = moved.execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("cannot change"), "{err}");
    // Deleting the experiment deletes its variants and their exposures.
    diesel::delete(stagelab::db::schema::experiments::table.filter(stagelab::db::schema::experiments::id.eq(own)))
        .execute(&mut conn)
        .await
        .unwrap();
    let left: i64 = exposures_table::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(left, 0);
    // Truncating the experiments (CASCADE) empties the exposures too.
    let (variant, experiment) =
        variants::table.select((variants::id, variants::experiment_id)).first::<(i64, i64)>(&mut conn).await.unwrap();
    diesel::insert_into(exposures_table::table)
        .values((
            exposures_table::customer_id.eq("truncated"),
            exposures_table::experiment_id.eq(experiment),
            exposures_table::variant_id.eq(variant),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("TRUNCATE experiments CASCADE").execute(&mut conn).await.unwrap();
    let left: i64 = exposures_table::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(left, 0, "exposures of truncated variants stayed");
}

/// The variant key a stored exposure of `customer` to `experiment` names, written as another node
/// would: straight into the table, so this node has never seen the customer.
async fn store_elsewhere(app: &TestApp, experiment: &str, customer: &str, variant: usize) -> String {
    use diesel::ExpressionMethods;
    use diesel_async::RunQueryDsl;
    use stagelab::db::schema::exposures as table;
    let mut conn = app.pool.get().await.unwrap();
    let stored = experiments::find(&mut conn, experiment).await.unwrap().unwrap();
    diesel::insert_into(table::table)
        .values((
            table::customer_id.eq(customer),
            table::experiment_id.eq(stored.id),
            table::variant_id.eq(stored.variant_ids[variant]),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    stored.def.variants[variant].key.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exposure_stored_by_another_node_is_the_answer_when_traffic_falls_or_the_experiment_pauses() {
    // welcome-offer has no targeting and its layer to itself: a request that names the stage is
    // answered by the write alone, without reading the customer first.
    let app = TestApp::spawn().await;
    let dir = experiments_copy();
    app.apply(dir.path()).await;
    let key = app.create_key(KeyRole::Storefront).await;
    let offer = |variant: &str| vec![("welcome-offer".to_string(), variant.to_string())];
    let reach = |customer: &str| AssignCall::new(customer).stage("reach");
    let exposures_of = async |customers: &[&str]| -> i64 {
        let mut conn = app.pool.get().await.unwrap();
        let ids: Vec<String> = customers.iter().map(|c| c.to_string()).collect();
        let found = exposures::facts(&mut conn, &ids).await.unwrap();
        found.values().map(|f| f.exposures.len() as i64).sum()
    };

    // Running, full traffic: the insert finds the stored row, which wins over this node's pick.
    for (i, customer) in ["elsewhere-1", "elsewhere-2"].into_iter().enumerate() {
        let stored = store_elsewhere(&app, "welcome-offer", customer, i).await;
        assert_eq!(app.assign(&key, &reach(customer)).await, offer(&stored));
    }

    // Traffic falls to 1%: a customer outside it (99 in 100 are) keeps their stored exposure.
    edit(dir.path(), "welcome-offer.toml", "traffic = 1.0", "traffic = 0.01");
    app.apply(dir.path()).await;
    let stored = store_elsewhere(&app, "welcome-offer", "elsewhere-3", 1).await;
    assert_eq!(app.assign(&key, &reach("elsewhere-3")).await, offer(&stored));

    // Paused: stored exposures are still answered; a new customer gets nothing and stores nothing.
    edit(dir.path(), "welcome-offer.toml", "status = \"running\"", "status = \"paused\"");
    app.apply(dir.path()).await;
    let stored = store_elsewhere(&app, "welcome-offer", "elsewhere-4", 0).await;
    assert_eq!(app.assign(&key, &reach("elsewhere-4")).await, offer(&stored));
    assert_eq!(app.assign(&key, &reach("elsewhere-1")).await, offer("control"));
    assert!(app.assign(&key, &reach("never-seen")).await.is_empty());
    assert_eq!(exposures_of(&["elsewhere-1", "elsewhere-2", "elsewhere-3", "elsewhere-4", "never-seen"]).await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exposure_and_the_deletion_of_its_variant_wait_for_each_other_as_with_a_foreign_key() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::with_experiments().await;
    let mut conn = app.pool.get().await.unwrap();
    let offer = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    let (experiment, first, second) = (offer.id, offer.variant_ids[0], offer.variant_ids[1]);
    let exec = async |conn: &mut diesel_async::AsyncPgConnection, sql: String| {
        diesel::sql_query(sql).execute(conn).await.map_err(|e| e.to_string())
    };
    let insert = |customer: &str, variant: i64| {
        format!("INSERT INTO exposures (customer_id, experiment_id, variant_id) VALUES ('{customer}', {experiment}, {variant})")
    };
    let delete = |variant: i64| format!("DELETE FROM variants WHERE id = {variant}");
    let count = async |variant: i64| -> usize {
        let mut conn = app.pool.get().await.unwrap();
        let ids = vec!["first".to_string(), "second".to_string()];
        let facts = exposures::facts(&mut conn, &ids).await.unwrap();
        facts.values().filter(|f| f.exposures.values().any(|v| *v == variant)).count()
    };

    // The insert comes first: the deletion waits for its commit, then deletes the new exposure.
    let mut inserter = app.pool.get().await.unwrap();
    exec(&mut inserter, "BEGIN".into()).await.unwrap();
    exec(&mut inserter, insert("first", first)).await.unwrap();
    let deleting = tokio::spawn({
        let pool = app.pool.clone();
        async move { exec(&mut pool.get().await.unwrap(), delete(first)).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!deleting.is_finished(), "the deletion did not wait for the inserting transaction");
    exec(&mut inserter, "COMMIT".into()).await.unwrap();
    assert_eq!(deleting.await.unwrap(), Ok(1));
    assert_eq!(count(first).await, 0, "the deleted variant's exposure stayed");

    // The deletion comes first: the insert waits for its commit, then fails.
    let mut deleter = app.pool.get().await.unwrap();
    exec(&mut deleter, "BEGIN".into()).await.unwrap();
    exec(&mut deleter, delete(second)).await.unwrap();
    let inserting = tokio::spawn({
        let pool = app.pool.clone();
        let sql = insert("second", second);
        async move { exec(&mut pool.get().await.unwrap(), sql).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!inserting.is_finished(), "the insert did not wait for the deleting transaction");
    exec(&mut deleter, "COMMIT".into()).await.unwrap();
    let err = inserting.await.unwrap().unwrap_err();
    assert!(err.contains("exposures_variant_fkey"), "{err}");
    assert_eq!(count(second).await, 0);
}
