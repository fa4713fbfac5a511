//! Changes of experiment definitions made in the UI: creations, edits and status changes, each in
//! one transaction under the definitions lock (shared with `stagelab apply`), checked against the
//! stored state of that moment, and written to the audit log.

use crate::apply::plan::check_transition;
use crate::db::models::audit;
use crate::db::models::experiments::{self, Origin, StoredExperiment};
use crate::domain::experiment::{ExperimentDef, Status};
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The key is taken (creation).
    #[error("the key {0:?} is taken: choose another")]
    Taken(String),
    /// No such experiment.
    #[error("there is no experiment with key {0:?}")]
    NotFound(String),
    /// Someone changed it since the form was loaded.
    #[error("someone changed this experiment while you were editing it: reload the page and make your change again")]
    Conflict,
    /// Not allowed in its current state.
    #[error("{0}")]
    Refused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

async fn entry(
    conn: &mut AsyncPgConnection,
    actor: &str,
    action: &str,
    key: &str,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), ChangeError> {
    let e = audit::NewEntry { actor, action, entity_type: "experiment", entity_key: key, before, after: Some(after) };
    Ok(audit::record(conn, &e).await?)
}

/// Creates a draft experiment (managed by the UI).
pub async fn create(conn: &mut AsyncPgConnection, def: &ExperimentDef, actor: &str) -> Result<(), ChangeError> {
    conn.transaction(async |conn| {
        experiments::lock_definitions(conn).await?;
        if experiments::find(conn, &def.key).await?.is_some() {
            return Err(ChangeError::Taken(def.key.clone()));
        }
        def.schedule.check(None, chrono::Utc::now()).map_err(|e| ChangeError::Refused(e.to_string()))?;
        let origin = Origin { managed_by: "ui", source_file: None };
        experiments::insert(conn, def, &crate::apply::new_salt(), origin).await?;
        entry(conn, actor, "experiment.create", &def.key, None, serde_json::json!(def)).await
    })
    .await
}

/// Replaces the definition of `def.key`, provided it is still at `version` and the change is
/// allowed for its state. Returns whether anything changed.
pub async fn update(
    conn: &mut AsyncPgConnection,
    def: &ExperimentDef,
    version: i32,
    actor: &str,
) -> Result<bool, ChangeError> {
    conn.transaction(async |conn| {
        experiments::lock_definitions(conn).await?;
        let current = stored(conn, &def.key).await?;
        if current.version != version {
            return Err(ChangeError::Conflict);
        }
        check_transition(&current, def).map_err(ChangeError::Refused)?;
        let schedule = def.schedule.check(Some(&current.def.schedule), chrono::Utc::now());
        schedule.map_err(|e| ChangeError::Refused(e.to_string()))?;
        if def.changed_fields(&current.def).is_empty() {
            return Ok(false);
        }
        let origin = Origin { managed_by: &current.managed_by, source_file: current.source_file.as_deref() };
        experiments::update(conn, current.id, def, origin).await?;
        entry(conn, actor, "experiment.update", &def.key, Some(serde_json::json!(current.def)), serde_json::json!(def))
            .await?;
        Ok(true)
    })
    .await
}

/// Moves experiment `key` to status `to` when `allowed(from, to)`; returns the status it had.
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    key: &str,
    to: Status,
    allowed: fn(Status, Status) -> bool,
    actor: &str,
) -> Result<Status, ChangeError> {
    conn.transaction(async |conn| {
        experiments::lock_definitions(conn).await?;
        let current = stored(conn, key).await?;
        let from = current.def.status;
        if !allowed(from, to) {
            return Err(ChangeError::Refused(format!("A {from} experiment cannot become {to}.")));
        }
        let mut def = current.def.clone();
        def.status = to;
        save(conn, &current, &def, Saved { actor, action: "experiment.status", reason: None }).await?;
        Ok(from)
    })
    .await
}

/// The actor of stagelab's own changes in the audit log and notifications.
pub const STAGELAB: &str = "stagelab";

/// stagelab's own status change of `current` (a schedule, the planned sample, a guardrail
/// action), in the caller's transaction, which holds the definitions lock and read `current`
/// under it: audited with the actor `stagelab` and `note`, notified with `note` as the reason,
/// and `note` kept on the experiment for its page.
pub async fn automatic_in(
    conn: &mut AsyncPgConnection,
    current: &StoredExperiment,
    to: Status,
    note: &str,
) -> Result<(), diesel::result::Error> {
    let mut def = current.def.clone();
    def.status = to;
    save(conn, current, &def, Saved { actor: STAGELAB, action: "experiment.status", reason: Some(note) }).await
}

/// [`automatic_in`] in a transaction of its own, made only if experiment `key` is still `from`.
/// Returns whether it was made.
pub async fn automatic(
    conn: &mut AsyncPgConnection,
    key: &str,
    from: Status,
    to: Status,
    note: &str,
) -> Result<bool, ChangeError> {
    conn.transaction(async |conn| {
        experiments::lock_definitions(conn).await?;
        let current = stored(conn, key).await?;
        if current.def.status != from {
            return Ok(false);
        }
        automatic_in(conn, &current, to, note).await?;
        Ok(true)
    })
    .await
}

/// Ships `variant` of experiment `key` by `actor` (CONTRACT §7): stops it if it runs or is
/// paused, then serves that variant to every eligible customer. Refused for an unknown variant,
/// a draft (it never ran) and an experiment already shipped. Returns the status it had.
pub async fn ship(conn: &mut AsyncPgConnection, key: &str, variant: &str, actor: &str) -> Result<Status, ChangeError> {
    conn.transaction(async |conn| {
        experiments::lock_definitions(conn).await?;
        let current = stored(conn, key).await?;
        let from = current.def.status;
        if !current.def.variants.iter().any(|v| v.key == variant) {
            let known: Vec<&str> = current.def.variants.iter().map(|v| v.key.as_str()).collect();
            return Err(ChangeError::Refused(format!(
                "The experiment has no variant {variant:?} (its variants: {}).",
                known.join(", ")
            )));
        }
        match (from, &current.def.ship) {
            (Status::Draft, _) => {
                return Err(ChangeError::Refused("A draft never ran: start it before shipping a variant.".into()))
            }
            (Status::Shipped, Some(shipped)) => {
                return Err(ChangeError::Refused(format!(
                    "The experiment already ships {shipped:?}: unship it first to ship another variant."
                )))
            }
            _ => {}
        }
        let mut def = current.def.clone();
        def.status = Status::Shipped;
        def.ship = Some(variant.to_string());
        save(conn, &current, &def, Saved { actor, action: "experiment.ship", reason: None }).await?;
        Ok(from)
    })
    .await
}

/// Ends the rollout of experiment `key` by `actor`: it is stopped again, and serves nothing.
pub async fn unship(conn: &mut AsyncPgConnection, key: &str, actor: &str) -> Result<(), ChangeError> {
    conn.transaction(async |conn| {
        experiments::lock_definitions(conn).await?;
        let current = stored(conn, key).await?;
        if current.def.status != Status::Shipped {
            let status = current.def.status;
            return Err(ChangeError::Refused(format!(
                "The experiment is {status}, not shipped: there is nothing to unship."
            )));
        }
        let mut def = current.def.clone();
        def.status = Status::Stopped;
        def.ship = None;
        Ok(save(conn, &current, &def, Saved { actor, action: "experiment.unship", reason: None }).await?)
    })
    .await
}

/// Who made a status change, as what audit action, and stagelab's reason for an automatic one.
struct Saved<'a> {
    actor: &'a str,
    action: &'a str,
    reason: Option<&'a str>,
}

/// Stores `def` (a new status, and shipped variant) over `current`: the one place every status
/// change goes through. Audited with the status and shipped variant before and after (and the
/// reason, which is also kept on the experiment for its page), and notified.
async fn save(
    conn: &mut AsyncPgConnection,
    current: &StoredExperiment,
    def: &ExperimentDef,
    saved: Saved<'_>,
) -> Result<(), diesel::result::Error> {
    let origin = Origin { managed_by: &current.managed_by, source_file: current.source_file.as_deref() };
    experiments::update(conn, current.id, def, origin).await?;
    if let Some(note) = saved.reason {
        experiments::set_status_note(conn, current.id, note).await?;
    }
    let before = serde_json::json!({ "status": current.def.status, "ship": current.def.ship });
    let mut after = serde_json::json!({ "status": def.status, "ship": def.ship });
    if let Some(reason) = saved.reason {
        after["reason"] = serde_json::json!(reason);
    }
    let e = audit::NewEntry {
        actor: saved.actor,
        action: saved.action,
        entity_type: "experiment",
        entity_key: &def.key,
        before: Some(before),
        after: Some(after),
    };
    audit::record(conn, &e).await?;
    crate::notify::status_changed(conn, def, current.def.status, saved.actor, saved.reason).await
}

async fn stored(conn: &mut AsyncPgConnection, key: &str) -> Result<StoredExperiment, ChangeError> {
    experiments::find(conn, key).await?.ok_or_else(|| ChangeError::NotFound(key.to_string()))
}
