//! Notifications (CONTRACT §8): [`notice`] writes one to the outbox in the caller's transaction,
//! with a delivery for each subscribed webhook; the [`worker`] sends them.

pub mod worker;

use crate::db::models::deliveries;
use crate::domain::experiment::{ExperimentDef, Status};
use crate::domain::notice::{EventType, Notice, Subject};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde_json::{json, Value};
use uuid::Uuid;

/// The experiment `def` as a notification names it.
pub fn subject(def: &ExperimentDef) -> Subject {
    Subject { key: def.key.clone(), name: def.name.clone(), status: def.status }
}

/// Writes a notification of `kind` about `def` with `data` (in the caller's transaction).
pub async fn notice(
    conn: &mut AsyncPgConnection,
    kind: EventType,
    def: &ExperimentDef,
    data: Value,
) -> QueryResult<()> {
    let notice = Notice { id: Uuid::new_v4(), kind, at: chrono::Utc::now(), experiment: subject(def), data };
    deliveries::enqueue(conn, &notice, None).await.map(drop)
}

/// Writes the notification of a status change of `def` (now at its new status) from `from`, by
/// `actor`, with stagelab's `reason` for an automatic change. Shipping a running or paused
/// experiment stops it: that is an `experiment.stopped` notification, then the
/// `experiment.shipped` one. Ending a rollout (shipped → stopped) is an `experiment.shipped`
/// notification whose `variant` is null; a change to draft or to the same status notifies nothing.
pub async fn status_changed(
    conn: &mut AsyncPgConnection,
    def: &ExperimentDef,
    from: Status,
    actor: &str,
    reason: Option<&str>,
) -> QueryResult<()> {
    let to = def.status;
    let unshipped = from == Status::Shipped && to == Status::Stopped;
    let kind = if unshipped { Some(EventType::Shipped) } else { EventType::of_status(to) };
    let Some(kind) = kind.filter(|_| from != to) else {
        return Ok(());
    };
    let mut data = json!({ "from": from, "to": to, "actor": actor });
    if let Some(reason) = reason {
        data["reason"] = json!(reason);
    }
    if kind == EventType::Shipped {
        data["variant"] = json!(def.ship);
        if matches!(from, Status::Running | Status::Paused) {
            notice(conn, EventType::Stopped, def, data.clone()).await?;
        }
    }
    notice(conn, kind, def, data).await
}

/// Writes a test notification for webhook `webhook` alone.
pub async fn test(conn: &mut AsyncPgConnection, webhook: Uuid, actor: &str) -> QueryResult<Uuid> {
    let subject = Subject { key: "stagelab-test".into(), name: "Test delivery".into(), status: Status::Draft };
    let data = json!({ "actor": actor, "message": "A test delivery from the webhooks page; nothing happened." });
    let notice =
        Notice { id: Uuid::new_v4(), kind: EventType::Test, at: chrono::Utc::now(), experiment: subject, data };
    deliveries::enqueue(conn, &notice, Some(webhook)).await?;
    Ok(notice.id)
}
