//! `/api/v1/experiments`: experiment definitions and status (admin key).

mod get;
mod list;

use crate::db::models::experiments::StoredExperiment;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list).service(get::get);
}

/// An experiment as the API shows it: the definition plus its lifecycle in stagelab.
#[derive(Debug, Serialize)]
pub struct ExperimentView {
    /// The definition (key, stage, goal, variants, …, status).
    #[serde(flatten)]
    pub definition: crate::domain::experiment::ExperimentDef,
    /// `code` (from `stagelab apply`) or `ui`.
    pub managed_by: String,
    /// The file it was applied from.
    pub source_file: Option<String>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// First started.
    pub started_at: Option<DateTime<Utc>>,
    /// Stopped.
    pub stopped_at: Option<DateTime<Utc>>,
}

impl From<StoredExperiment> for ExperimentView {
    fn from(s: StoredExperiment) -> Self {
        ExperimentView {
            definition: s.def,
            managed_by: s.managed_by,
            source_file: s.source_file,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
            started_at: s.started_at,
            stopped_at: s.stopped_at,
        }
    }
}
