//! Waiting for the app's in-memory definitions and key table, which follow the database through
//! NOTIFY: a test that changes the database waits here before it asks the app.

use super::TestApp;
use stagelab::db::models::experiments;
use stagelab::domain::experiment::Status;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the cache may take to follow a change before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

impl TestApp {
    /// Applies an experiments directory (as `stagelab apply` does) and waits until the app's
    /// snapshot has it.
    pub async fn apply(&self, dir: &Path) {
        stagelab::apply::run(&self.pool, dir, false, "test").await.unwrap();
        self.wait_for_definitions().await;
    }

    /// Waits until the in-memory key table shows this token under `name`.
    pub async fn wait_for_key_name(&self, token: &str, name: &str) {
        let started = Instant::now();
        while self.cache.snapshot().key(token).is_none_or(|k| k.name != name) {
            assert!(started.elapsed() < PATIENCE, "the key table never refreshed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the in-memory definitions are exactly the stored running and paused
    /// experiments, with their traffic, weights and status.
    pub async fn wait_for_definitions(&self) {
        let started = Instant::now();
        let mut conn = self.pool.get().await.unwrap();
        let stored = experiments::load_all(&mut conn).await.unwrap();
        let live: Vec<_> = stored.iter().filter(|e| matches!(e.def.status, Status::Running | Status::Paused)).collect();
        loop {
            let snapshot = self.cache.snapshot();
            let current = live.iter().all(|e| {
                snapshot.by_id.get(&e.id).is_some_and(|a| {
                    a.traffic == e.def.traffic
                        && a.weights == e.def.variants.iter().map(|v| v.weight).collect::<Vec<_>>()
                        && a.status == e.def.status
                })
            });
            if current && snapshot.by_id.len() == live.len() {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "definitions never refreshed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
