//! The background watch (CONTRACT §7): every pass (`--watch-ms`, 10 s by default, at most 60 s)
//! it looks at each draft with a start time and each running or paused experiment, and
//!
//! - starts and stops experiments on their schedule (and on reaching the planned sample);
//! - acts on a guardrail that the always-valid test finds significantly worse (`warn`, `pause`
//!   or `stop`), with an audit entry and a notification;
//! - notifies a changed recommendation and a new sample ratio mismatch, once each.
//!
//! What to do is decided by [`plan::look`] (pure); this module reads and writes. Every change
//! it makes is stagelab's own (actor `stagelab`). With more than one node, each node watches: a
//! look that calls for anything is planned again, and carried out, in one transaction under the
//! definitions lock, on the experiment and the `watch_state` read there, so that a change, an
//! audit entry or a notification is made once, and never on a definition that changed since the
//! pass began.

pub mod plan;

use crate::analysis::Reports;
use crate::changes::{self, STAGELAB};
use crate::db::models::{audit, experiments, watch_state};
use crate::db::Pool;
use crate::domain::experiment::Status;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use plan::{Findings, Look, Steps};
use std::time::Duration;

/// The watch of one node.
pub struct Watch {
    pool: Pool,
    reports: Reports,
    period: Duration,
}

impl Watch {
    /// A watch that looks every `period`, reading reports through `reports`.
    pub fn new(pool: Pool, reports: Reports, period: Duration) -> Watch {
        Watch { pool, reports, period }
    }

    /// Looks every period until the runtime stops; a failed pass is logged and the next one tries
    /// again.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "the background watch pass failed; the next one will retry");
            }
        }
    }

    /// One pass over every experiment.
    pub async fn pass(&self) -> anyhow::Result<()> {
        let all = experiments::load_all(&mut *self.pool.get().await?).await?;
        let now = chrono::Utc::now();
        for e in all {
            let status = e.def.status;
            let watched = matches!(status, Status::Running | Status::Paused)
                || status == Status::Draft && e.def.schedule.start_at.is_some();
            if !watched {
                continue;
            }
            let findings = match status {
                Status::Running | Status::Paused => match self.reports.report(&e.def.key).await {
                    Ok(Some(report)) => Some(Findings::of(&report)),
                    Ok(None) => continue,
                    Err(err) => {
                        tracing::warn!(experiment = %e.def.key, error = %err, "no report for the watch");
                        None
                    }
                },
                _ => None,
            };
            let mut conn = self.pool.get().await?;
            let seen = watch_state::get(&mut conn, e.id).await?;
            let look = Look {
                status,
                schedule: &e.def.schedule,
                action: e.def.stats.guardrail_action,
                now,
                findings: findings.as_ref(),
                seen: seen.as_ref(),
            };
            // Most looks call for nothing: only those that do take the lock and look again.
            if plan::look(e.id, &look) != Steps::default() {
                act(&mut conn, &e, findings.as_ref(), now).await?;
            }
        }
        Ok(())
    }
}

/// Carries out a look whose first plan had steps: in one transaction under the definitions lock,
/// the experiment and what the watch saw of it are read again and the look is planned again on
/// them (a person may have changed the definition, or another node may have looked meanwhile),
/// and every step (audit entries, notifications, what was seen, the status change) is written
/// together.
async fn act(
    conn: &mut AsyncPgConnection,
    e: &experiments::StoredExperiment,
    findings: Option<&Findings>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let key = e.def.key.as_str();
    let changed = conn
        .transaction(async |conn| {
            experiments::lock_definitions(conn).await?;
            let Some(current) = experiments::find(conn, key).await? else { return Ok(None) };
            if current.id != e.id {
                return Ok(None);
            }
            let seen = watch_state::get(conn, e.id).await?;
            let look = Look {
                status: current.def.status,
                schedule: &current.def.schedule,
                action: current.def.stats.guardrail_action,
                now,
                findings: findings.filter(|_| matches!(current.def.status, Status::Running | Status::Paused)),
                seen: seen.as_ref(),
            };
            let steps = plan::look(e.id, &look);
            if let Some(data) = &steps.guardrail {
                let entry = audit::NewEntry {
                    actor: STAGELAB,
                    action: "experiment.guardrail",
                    entity_type: "experiment",
                    entity_key: key,
                    before: None,
                    after: Some(data.clone()),
                };
                audit::record(conn, &entry).await?;
            }
            for (kind, data) in &steps.notices {
                crate::notify::notice(conn, *kind, &current.def, data.clone()).await?;
            }
            if let Some(seen) = &steps.seen {
                watch_state::put(conn, seen).await?;
            }
            if let Some((to, note)) = &steps.status {
                changes::automatic_in(conn, &current, *to, note).await?;
                return Ok::<_, diesel::result::Error>(Some((current.def.status, *to, note.clone())));
            }
            Ok(None)
        })
        .await?;
    if let Some((from, to, note)) = changed {
        tracing::info!(experiment = key, %from, %to, reason = %note, "status changed by stagelab");
    }
    Ok(())
}
