//! `apply` and the rollout (CONTRACT §7): `ship = …` in a file ships, removing it unships; a
//! schedule time in the past is a `file:line` error; a status stagelab set by itself stands over
//! the file's until the file ends the experiment.

use crate::support::{edit, experiments_copy, TestDb};
use stagelab::apply::{self, ApplyError};
use stagelab::changes;
use stagelab::db::models::experiments;
use stagelab::domain::experiment::Status;

async fn status(pool: &stagelab::db::Pool, key: &str) -> (Status, Option<String>) {
    let e = experiments::find(&mut pool.get().await.unwrap(), key).await.unwrap().unwrap();
    (e.def.status, e.def.ship)
}

#[tokio::test]
async fn a_file_ships_and_unships() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    edit(dir.path(), "welcome-offer.toml", "status = \"running\"", "status = \"stopped\"\nship = \"welcome10\"");
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    assert_eq!(status(&pool, "welcome-offer").await, (Status::Shipped, Some("welcome10".into())));
    // Another variant needs the rollout ended first.
    edit(dir.path(), "welcome-offer.toml", "ship = \"welcome10\"", "ship = \"control\"");
    let Err(ApplyError::Invalid(errors)) = apply::run(&pool, dir.path(), false, "cli:tester").await else {
        panic!("switching the shipped variant must be refused")
    };
    assert!(errors[0].message.contains("end that rollout first"), "{errors:?}");
    edit(dir.path(), "welcome-offer.toml", "ship = \"control\"", "");
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    assert_eq!(status(&pool, "welcome-offer").await, (Status::Stopped, None));
    // A draft never ran: it cannot ship.
    edit(dir.path(), "referral-reward.toml", "status = \"running\"", "status = \"draft\"");
    let fresh = TestDb::new().await;
    apply::run(&fresh.pool(), dir.path(), false, "cli:tester").await.unwrap();
    edit(dir.path(), "referral-reward.toml", "status = \"draft\"", "status = \"stopped\"\nship = \"points500\"");
    let Err(ApplyError::Invalid(errors)) = apply::run(&fresh.pool(), dir.path(), false, "cli:tester").await else {
        panic!("shipping a draft must be refused")
    };
    assert!(errors[0].message.contains("never ran"), "{errors:?}");
}

#[tokio::test]
async fn a_schedule_in_the_past_names_its_line_and_nothing_changes() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    edit(dir.path(), "welcome-offer.toml", "traffic = 1.0", "traffic = 0.9\nstop_at = 2020-01-01T00:00:00Z");
    let Err(ApplyError::Invalid(errors)) = apply::run(&pool, dir.path(), false, "cli:tester").await else {
        panic!("a past stop_at must be refused")
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].path.ends_with("welcome-offer.toml") && errors[0].line == 9, "{errors:?}");
    assert!(errors[0].message.contains("stop_at: 2020-01-01T00:00:00+00:00 is in the past"), "{errors:?}");
    let stored = experiments::find(&mut pool.get().await.unwrap(), "welcome-offer").await.unwrap().unwrap();
    assert_eq!((stored.def.traffic, stored.def.schedule.stop_at), (1.0, None), "nothing was written");
}

#[tokio::test]
async fn a_status_stagelab_set_stands_until_the_file_ends_the_experiment() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    let note = "the guardrail action paused it: guardrail revenue is significantly worse";
    let mut conn = pool.get().await.unwrap();
    assert!(changes::automatic(&mut conn, "welcome-offer", Status::Running, Status::Paused, note).await.unwrap());
    // The file still says running: the pause stands.
    edit(dir.path(), "welcome-offer.toml", "traffic = 1.0", "traffic = 0.9");
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    let stored = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_eq!(
        (stored.def.status, stored.def.traffic, stored.status_note.as_deref()),
        (Status::Paused, 0.9, Some(note))
    );
    // The file stops it: that wins, and the note goes (a person decided).
    edit(dir.path(), "welcome-offer.toml", "status = \"running\"", "status = \"stopped\"");
    apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    let stored = experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_eq!((stored.def.status, stored.status_note), (Status::Stopped, None));
}
