//! `apply` against a real database: create, update, unchanged, refused changes, audit entries.

use crate::support::{edit, experiments_copy, shipped_experiments, TestDb};
use stagelab::apply::plan::Action;
use stagelab::apply::{self, ApplyError};
use stagelab::db::models::{audit, experiments, stages};
use std::fs;

fn actions(plan: &apply::plan::Plan) -> Vec<(String, Action)> {
    plan.experiments.iter().map(|e| (e.def.key.clone(), e.action.clone())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_then_unchanged_then_update() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();

    let plan = apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    assert_eq!(plan.lifecycle_action, Action::Create);
    assert_eq!(plan.counts(), (3, 0, 0));
    let mut conn = pool.get().await.unwrap();
    assert_eq!(stages::load(&mut conn).await.unwrap().ids(), "reach, acquisition, nurture, retention, advocacy");
    let stored = experiments::load_all(&mut conn).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert!(stored
        .iter()
        .all(|e| e.managed_by == "code" && e.started_at.is_some() && e.version == 1 && e.salt.len() == 16));
    assert_ne!(stored[0].salt, stored[1].salt);

    let again = apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    assert_eq!(again.lifecycle_action, Action::Unchanged);
    assert_eq!(again.counts(), (0, 0, 3));
    assert!(!again.has_changes());

    edit(dir.path(), "second-purchase-coupon.toml", "traffic = 0.8", "traffic = 1.0");
    edit(
        dir.path(),
        "second-purchase-coupon.toml",
        "weight = 1\npayload = { email = \"coupon\"",
        "weight = 2\npayload = { email = \"coupon\"",
    );
    let plan = apply::run(&pool, dir.path(), false, "cli:tester").await.unwrap();
    let coupon = actions(&plan).into_iter().find(|(k, _)| k == "second-purchase-coupon").unwrap();
    assert_eq!(coupon.1, Action::Update(vec!["traffic", "variants"]));
    assert_eq!(plan.counts(), (0, 1, 2));

    let updated = experiments::find(&mut conn, "second-purchase-coupon").await.unwrap().unwrap();
    let before = stored.iter().find(|e| e.def.key == "second-purchase-coupon").unwrap();
    assert_eq!(updated.def.traffic, 1.0);
    assert_eq!(updated.def.variants[1].weight, 2.0);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.salt, before.salt, "the salt never changes");
    assert_eq!(updated.started_at, before.started_at);

    let log = audit::recent(&mut conn, 10).await.unwrap();
    assert_eq!(log[0].action, "experiment.update");
    assert_eq!(log[0].actor, "cli:tester");
    assert_eq!(log[0].before.as_ref().unwrap()["traffic"], 0.8);
    assert_eq!(log[0].after.as_ref().unwrap()["traffic"], 1.0);
    let creates = log.iter().filter(|e| e.action == "experiment.create").count();
    assert_eq!((creates, log.iter().filter(|e| e.action == "lifecycle.create").count()), (3, 1));
    assert_eq!(log.len(), 5, "unchanged applies write no audit entries");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let plan = apply::run(&pool, &shipped_experiments(), true, "t").await.unwrap();
    assert_eq!(plan.counts(), (3, 0, 0));
    let mut conn = pool.get().await.unwrap();
    assert!(experiments::load_all(&mut conn).await.unwrap().is_empty());
    assert!(stages::load(&mut conn).await.unwrap().stages.is_empty());
    assert!(audit::recent(&mut conn, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_files_change_nothing() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "t").await.unwrap();
    edit(dir.path(), "welcome-offer.toml", "traffic = 1.0", "traffic = 1.0\ncolour = \"red\"");
    edit(dir.path(), "referral-reward.toml", "window_days = 60", "window_days = 0");
    match apply::run(&pool, dir.path(), false, "t").await {
        Err(ApplyError::Invalid(errors)) => {
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(errors.len(), 2, "{shown:?}");
            assert!(shown.iter().any(|e| e.contains("welcome-offer.toml:9: unknown field `colour`")), "{shown:?}");
            assert!(shown.iter().any(|e| e.contains("referral-reward.toml:7: window_days")), "{shown:?}");
        }
        other => panic!("expected invalid files, got {other:?}"),
    }
    let mut conn = pool.get().await.unwrap();
    assert_eq!(audit::recent(&mut conn, 10).await.unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_started_experiment_keeps_its_variants_stage_and_goal() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "t").await.unwrap();

    let refused = |text: &str| text.contains("has started");
    let cases: [&[(&str, &str)]; 4] = [
        &[("key = \"points500\"", "key = \"points1000\""), ("variants.points500]", "variants.points1000]")],
        &[("stage = \"retention\"", "stage = \"nurture\"")],
        &[("status = \"running\"", "status = \"draft\"")],
        &[("window_days = 60", "window_days = 60\nlayer = \"onboarding\"")],
    ];
    for edits in cases {
        let copy = experiments_copy();
        for (from, to) in edits {
            edit(copy.path(), "referral-reward.toml", from, to);
        }
        let Err(ApplyError::Invalid(errors)) = apply::run(&pool, copy.path(), false, "t").await else {
            panic!("{edits:?} was accepted")
        };
        assert!(errors.iter().any(|e| refused(&e.message)), "{errors:?}");
    }
    // A paused experiment can run again; a stopped one cannot.
    edit(dir.path(), "referral-reward.toml", "status = \"running\"", "status = \"paused\"");
    apply::run(&pool, dir.path(), false, "t").await.unwrap();
    edit(dir.path(), "referral-reward.toml", "status = \"paused\"", "status = \"stopped\"");
    apply::run(&pool, dir.path(), false, "t").await.unwrap();
    let mut conn = pool.get().await.unwrap();
    assert!(experiments::find(&mut conn, "referral-reward").await.unwrap().unwrap().stopped_at.is_some());
    edit(dir.path(), "referral-reward.toml", "status = \"stopped\"", "status = \"running\"");
    let Err(ApplyError::Invalid(errors)) = apply::run(&pool, dir.path(), false, "t").await else {
        panic!("restart accepted")
    };
    assert!(errors[0].message.contains("is stopped"), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_may_change_its_variants() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    edit(dir.path(), "referral-reward.toml", "status = \"running\"", "status = \"draft\"");
    apply::run(&pool, dir.path(), false, "t").await.unwrap();
    edit(dir.path(), "referral-reward.toml", "key = \"points500\"", "key = \"points1000\"");
    edit(dir.path(), "referral-reward.toml", "[simulation.variants.points500]", "[simulation.variants.points1000]");
    let plan = apply::run(&pool, dir.path(), false, "t").await.unwrap();
    assert_eq!(plan.counts(), (0, 1, 2));
    let mut conn = pool.get().await.unwrap();
    let stored = experiments::find(&mut conn, "referral-reward").await.unwrap().unwrap();
    let keys: Vec<&str> = stored.def.variants.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(keys, ["control", "points1000"]);
    assert!(stored.started_at.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn stages_in_use_cannot_be_removed_but_can_be_renamed_and_added() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "t").await.unwrap();

    // Rename and insert a stage before an existing one (positions shift inside one transaction).
    edit(dir.path(), "lifecycle.toml", "name = \"Nurture\"", "name = \"Nurturing\"");
    edit(
        dir.path(),
        "lifecycle.toml",
        "[[stages]]\nid = \"acquisition\"",
        "[[stages]]\nid = \"interest\"\nname = \"Interest\"\n\n[[stages]]\nid = \"acquisition\"",
    );
    let plan = apply::run(&pool, dir.path(), false, "t").await.unwrap();
    assert_eq!(plan.lifecycle_action, Action::Update(vec!["stages"]));
    let mut conn = pool.get().await.unwrap();
    assert_eq!(
        stages::load(&mut conn).await.unwrap().ids(),
        "reach, interest, acquisition, nurture, retention, advocacy"
    );

    // Removing `advocacy`, the goal of referral-reward: the experiment file is then invalid too.
    let text = fs::read_to_string(dir.path().join("lifecycle.toml")).unwrap();
    let cut = text.find("[[stages]]\nid = \"advocacy\"").unwrap();
    fs::write(dir.path().join("lifecycle.toml"), &text[..cut]).unwrap();
    let Err(ApplyError::Invalid(errors)) = apply::run(&pool, dir.path(), false, "t").await else { panic!("accepted") };
    assert!(errors[0].message.contains("goal \"advocacy\" is not a lifecycle stage"), "{errors:?}");

    // With the experiment file gone, the database still refuses: the stored experiment uses it.
    fs::remove_file(dir.path().join("referral-reward.toml")).unwrap();
    match apply::run(&pool, dir.path(), false, "t").await {
        Err(ApplyError::Conflict(message)) => assert!(message.contains("still used"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(stages::load(&mut conn).await.unwrap().stages.len(), 6, "nothing was removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_holdout_stays_while_experiments_run_unless_forced() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let dir = experiments_copy();
    apply::run(&pool, dir.path(), false, "t").await.unwrap();
    let line = fs::read_to_string(dir.path().join("lifecycle.toml"))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("holdout"))
        .unwrap()
        + 1;
    edit(dir.path(), "lifecycle.toml", crate::support::experiments::NO_HOLDOUT, "holdout = 0.1");
    match apply::run(&pool, dir.path(), false, "t").await {
        Err(ApplyError::Invalid(errors)) => {
            let shown = errors[0].to_string();
            assert_eq!(errors.len(), 1, "{shown}");
            assert!(shown.contains(&format!("lifecycle.toml:{line}: holdout changes from 0 to 0.1")), "{shown}");
            assert!(shown.contains("referral-reward, second-purchase-coupon, welcome-offer"), "{shown}");
            assert!(shown.contains("--force"), "{shown}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let mut conn = pool.get().await.unwrap();
    assert_eq!(stages::load(&mut conn).await.unwrap().holdout, 0.0, "nothing changed");
    let plan = apply::run_forced(&pool, dir.path(), false, true, "t").await.unwrap();
    assert_eq!(plan.lifecycle_action, Action::Update(vec!["holdout"]));
    assert_eq!(stages::load(&mut conn).await.unwrap().holdout, 0.1);
}
