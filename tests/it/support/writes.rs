//! Shared by the tests that check acknowledged writes survive a fault: a database with the
//! shipped experiments and a storefront key, and the check that acknowledged assignments are stored.

use super::keys::insert_key;
use super::shipped_experiments;
use diesel_async::AsyncPgConnection;
use stagelab::db::models::experiments;
use stagelab::domain::key::KeyRole;
use std::collections::HashMap;

/// Migrates the database at `url`, applies the shipped experiments and creates a storefront key;
/// returns the key's token.
pub async fn prepare(url: &str) -> String {
    stagelab::db::migrate::run_pending(url).await.unwrap();
    let pool = stagelab::db::build_pool(url, 2).unwrap();
    stagelab::apply::run(&pool, &shipped_experiments(), false, "test").await.unwrap();
    insert_key(&mut pool.get().await.unwrap(), "shop", KeyRole::Storefront).await
}

/// Every acknowledged `welcome-offer` assignment (customer → variant key) is stored with the
/// variant the client was given, and so is the customer's programme membership at `reach`
/// (CONTRACT §9: recorded before the 200).
pub async fn assert_assignments_stored(conn: &mut AsyncPgConnection, acknowledged: &HashMap<String, String>) {
    let welcome = experiments::find(conn, "welcome-offer").await.unwrap().unwrap();
    let ids: Vec<String> = acknowledged.keys().cloned().collect();
    let facts = stagelab::db::models::exposures::facts(conn, &ids).await.unwrap();
    for (customer, variant) in acknowledged {
        let stored = facts
            .get(customer)
            .and_then(|f| f.exposures.get(&welcome.id))
            .unwrap_or_else(|| panic!("the acknowledged assignment of {customer} was lost"));
        assert!(
            facts[customer].members.iter().any(|s| s == "reach"),
            "the programme membership of {customer}, acknowledged, was lost"
        );
        let position = welcome.variant_ids.iter().position(|id| id == stored).unwrap();
        assert_eq!(&welcome.def.variants[position].key, variant, "{customer}");
    }
}
