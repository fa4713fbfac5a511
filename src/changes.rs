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
        let origin = Origin { managed_by: &current.managed_by, source_file: current.source_file.as_deref() };
        experiments::update(conn, current.id, &def, origin).await?;
        let (before, after) = (serde_json::json!({ "status": from }), serde_json::json!({ "status": to }));
        entry(conn, actor, "experiment.status", key, Some(before), after).await?;
        crate::notify::status_changed(conn, &def, from, actor, None).await?;
        Ok(from)
    })
    .await
}

async fn stored(conn: &mut AsyncPgConnection, key: &str) -> Result<StoredExperiment, ChangeError> {
    experiments::find(conn, key).await?.ok_or_else(|| ChangeError::NotFound(key.to_string()))
}
