//! `stagelab apply`: synchronise `experiments/` into the database in one transaction, with an
//! audit entry for every change.

pub mod plan;

use crate::db::models::{audit, experiments, stages};
use crate::db::Pool;
use crate::domain::experiment::Status;
use crate::files::{self, FileError};
use diesel_async::AsyncConnection;
use plan::{Action, Plan};
use rand::RngCore;
use std::path::Path;

/// Why `apply` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The files are invalid, or ask for a change that is not allowed.
    #[error("{} problem(s) in the experiment files", .0.len())]
    Invalid(Vec<FileError>),
    /// The change conflicts with stored data (e.g. removing a stage that is in use).
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
}

impl From<diesel::result::Error> for ApplyError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) if info.table_name() == Some("lifecycle_stages") || info.message().contains("lifecycle_stages") => {
                ApplyError::Conflict(format!("a stage that the lifecycle file no longer lists is still used by customers, events or experiments ({})", info.message()))
            }
            other => ApplyError::Database(other.to_string()),
        }
    }
}

/// Reads `dir`, compares it with the database and, unless `dry_run`, applies the difference in
/// one transaction. `actor` is written to the audit log.
pub async fn run(pool: &Pool, dir: &Path, dry_run: bool, actor: &str) -> Result<Plan, ApplyError> {
    run_forced(pool, dir, dry_run, false, actor).await
}

/// [`run`], and with `force` a holdout change is applied even while experiments run or are
/// shipped (see [`plan::compute`]).
pub async fn run_forced(pool: &Pool, dir: &Path, dry_run: bool, force: bool, actor: &str) -> Result<Plan, ApplyError> {
    let desired = files::load_dir(dir).map_err(ApplyError::Invalid)?;
    let mut conn = pool.get().await.map_err(|e| ApplyError::Database(e.to_string()))?;
    conn.transaction(async |conn| {
        // One apply at a time: a concurrent one (an older checkout, say) must see this one's result.
        experiments::lock_definitions(conn).await?;
        let lifecycle = stages::load(conn).await?;
        let stored = experiments::load_all(conn).await?;
        let plan =
            plan::compute(desired, &lifecycle, stored, chrono::Utc::now(), force).map_err(ApplyError::Invalid)?;
        if dry_run || !plan.has_changes() {
            return Ok(plan);
        }
        if plan.lifecycle_action != Action::Unchanged {
            stages::replace(conn, &plan.lifecycle).await?;
            let entry = audit::NewEntry {
                actor,
                action: if lifecycle.stages.is_empty() { "lifecycle.create" } else { "lifecycle.update" },
                entity_type: "lifecycle",
                entity_key: "stages",
                before: (!lifecycle.stages.is_empty()).then(|| serde_json::json!(lifecycle)),
                after: Some(serde_json::json!(plan.lifecycle)),
            };
            audit::record(conn, &entry).await?;
        }
        for item in &plan.experiments {
            let source = item.path.to_string_lossy();
            let origin = experiments::Origin { managed_by: "code", source_file: Some(&source) };
            if item.action == Action::Unchanged {
                continue;
            }
            let (action, before) = match &item.current {
                Some(current) => {
                    experiments::update(conn, current.id, &item.def, origin).await?;
                    ("experiment.update", Some(serde_json::json!(current.def)))
                }
                None => {
                    experiments::insert(conn, &item.def, &new_salt(), origin).await?;
                    ("experiment.create", None)
                }
            };
            let entry = audit::NewEntry {
                actor,
                action,
                entity_type: "experiment",
                entity_key: &item.def.key,
                before,
                after: Some(serde_json::json!(item.def)),
            };
            audit::record(conn, &entry).await?;
            let from = item.current.as_ref().map_or(Status::Draft, |c| c.def.status);
            crate::notify::status_changed(conn, &item.def, from, actor, None).await?;
        }
        Ok(plan)
    })
    .await
}

/// A new experiment's hashing salt.
pub fn new_salt() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
