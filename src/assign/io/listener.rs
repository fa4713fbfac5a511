//! Keeping the snapshot current: a LISTEN connection reloads it as soon as definitions, stages,
//! settings or keys change (the tables' triggers NOTIFY `stagelab_config`), and a periodic reload
//! covers lost notifications and a lost connection.

use super::StoreError;
use crate::assign::snapshot::Snapshot;
use crate::db::models::{api_keys, experiments, stages};
use crate::db::Pool;
use crate::domain::experiment::Status;
use arc_swap::ArcSwap;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::{FutureExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;

/// The channel the triggers notify.
pub const CHANNEL: &str = "stagelab_config";

/// The current snapshot, readable without locks.
#[derive(Debug)]
pub struct ConfigCache {
    current: ArcSwap<Snapshot>,
}

impl Default for ConfigCache {
    fn default() -> Self {
        ConfigCache { current: ArcSwap::from_pointee(Snapshot::empty()) }
    }
}

impl ConfigCache {
    /// The snapshot now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The keys of the running experiments now.
    pub fn running_keys(&self) -> Vec<String> {
        let snapshot = self.snapshot();
        snapshot.by_id.values().filter(|e| e.status == Status::Running).map(|e| e.key.clone()).collect()
    }

    /// Loads everything again and swaps it in.
    pub async fn reload(&self, pool: &Pool) -> Result<(), StoreError> {
        let mut conn = pool.get().await?;
        let experiments = experiments::load_all(&mut conn).await?;
        let lifecycle = stages::load(&mut conn).await?;
        let keys = api_keys::active_with_hashes(&mut conn).await?;
        self.current.store(Arc::new(Snapshot::build(experiments, lifecycle, keys)));
        Ok(())
    }

    /// Keeps the snapshot current until the pool is closed (the service is stopping) or the
    /// runtime stops: reloads on every notification and at least every `period`.
    pub async fn follow(self: Arc<Self>, url: String, pool: Pool, period: Duration) {
        while !pool.is_closed() {
            match AsyncPgConnection::establish(&url).await {
                Ok(mut conn) => {
                    if diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn).await.is_ok() {
                        // Reload after LISTEN, so that no change between the two is missed.
                        self.reload_logged(&pool).await;
                        self.listen(&mut conn, &pool, period).await;
                    }
                }
                Err(_) if pool.is_closed() => return,
                Err(e) => tracing::warn!(error = %e, "cannot open the config LISTEN connection; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            self.reload_logged(&pool).await;
        }
    }

    /// Reloads on notifications and every `period` until the connection fails.
    async fn listen(&self, conn: &mut AsyncPgConnection, pool: &Pool, period: Duration) {
        loop {
            let notified = {
                let mut stream = std::pin::pin!(conn.notifications_stream());
                match tokio::time::timeout(period, stream.next()).await {
                    Ok(Some(Ok(_))) => {
                        // Coalesce a burst (e.g. one `apply` of many experiments) into one reload.
                        while let Some(Some(Ok(_))) = stream.next().now_or_never() {}
                        true
                    }
                    Ok(Some(Err(_))) | Ok(None) => return,
                    Err(_) => false,
                }
            };
            if !notified && diesel::sql_query("SELECT 1").execute(conn).await.is_err() {
                return;
            }
            self.reload_logged(pool).await;
        }
    }

    async fn reload_logged(&self, pool: &Pool) {
        if let Err(e) = self.reload(pool).await {
            if pool.is_closed() {
                return; // The service is stopping: nothing to keep current.
            }
            let error = crate::telemetry::with_causes(&e);
            tracing::warn!(%error, "reloading experiment definitions failed; keeping the previous ones");
        }
    }
}
