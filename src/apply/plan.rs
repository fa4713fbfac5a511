//! What `apply` would change: a pure comparison of the files with the stored state.

use crate::db::models::experiments::StoredExperiment;
use crate::domain::experiment::{ExperimentDef, Status};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::schedule::desired_status;
use crate::files::{Desired, FileError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::PathBuf;

/// What happens to one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// It does not exist yet.
    Create,
    /// It exists and these fields change.
    Update(Vec<&'static str>),
    /// It exists as the files say.
    Unchanged,
}

impl Action {
    /// `create`, `update` or `unchanged`.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update(_) => "update",
            Action::Unchanged => "unchanged",
        }
    }
}

/// The plan for one experiment file.
#[derive(Debug, Clone)]
pub struct ExperimentPlan {
    /// The file.
    pub path: PathBuf,
    /// The definition the file asks for.
    pub def: ExperimentDef,
    /// What changes.
    pub action: Action,
    /// The stored experiment, when it exists.
    pub current: Option<StoredExperiment>,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The lifecycle the files ask for.
    pub lifecycle: Lifecycle,
    /// What happens to the lifecycle.
    pub lifecycle_action: Action,
    /// What happens to each experiment, in file order.
    pub experiments: Vec<ExperimentPlan>,
}

impl Plan {
    /// How many creates, updates and unchanged.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |label: &str| self.experiments.iter().filter(|e| e.action.label() == label).count();
        (count("create"), count("update"), count("unchanged"))
    }

    /// Whether applying would write anything.
    pub fn has_changes(&self) -> bool {
        self.lifecycle_action != Action::Unchanged || self.experiments.iter().any(|e| e.action != Action::Unchanged)
    }
}

/// Compares the files with the stored state. Changes that would corrupt a started experiment are
/// refused, each naming its file.
/// A schedule time set or changed must lie after `now`. A status stagelab set by itself
/// (schedule, guardrail) stands over the file's unless the file ends the experiment.
///
/// Changing the holdout share while an experiment runs, is paused or is shipped would move
/// customers in and out of the holdout under it (and of the programme's groups): refused unless
/// `force`.
pub fn compute(
    desired: Desired,
    lifecycle: &Lifecycle,
    stored: Vec<StoredExperiment>,
    now: DateTime<Utc>,
    force: bool,
) -> Result<Plan, Vec<FileError>> {
    let mut errors = Vec::new();
    if !lifecycle.stages.is_empty() && lifecycle.holdout != desired.lifecycle.holdout && !force {
        let live: Vec<&str> = stored
            .iter()
            .filter(|s| matches!(s.def.status, Status::Running | Status::Paused) || s.def.ship.is_some())
            .map(|s| s.def.key.as_str())
            .collect();
        if !live.is_empty() {
            let (path, line) = &desired.holdout_at;
            errors.push(FileError::new(
                path,
                *line,
                format!(
                    "holdout changes from {} to {} while {} {} running or shipped: customers would move in \
                     and out of the holdout under them, and the programme's groups would mix; stop and \
                     unship them first, or apply with --force to change it anyway",
                    lifecycle.holdout,
                    desired.lifecycle.holdout,
                    live.join(", "),
                    if live.len() == 1 { "is" } else { "are" }
                ),
            ));
        }
    }
    let lifecycle_action = if lifecycle.stages.is_empty() {
        Action::Create
    } else {
        let mut changed = Vec::new();
        if lifecycle.stages != desired.lifecycle.stages {
            changed.push("stages");
        }
        if lifecycle.holdout != desired.lifecycle.holdout {
            changed.push("holdout");
        }
        if lifecycle.rules != desired.lifecycle.rules {
            changed.push("rules");
        }
        if lifecycle.windows_days != desired.lifecycle.windows_days {
            changed.push("programme_windows_days");
        }
        if changed.is_empty() {
            Action::Unchanged
        } else {
            Action::Update(changed)
        }
    };
    let mut stored: HashMap<String, StoredExperiment> = stored.into_iter().map(|s| (s.def.key.clone(), s)).collect();
    let mut experiments = Vec::new();
    for mut file in desired.experiments {
        let current = stored.remove(&file.def.key);
        if let Err(e) = file.def.schedule.check(current.as_ref().map(|c| &c.def.schedule), now) {
            errors.push(FileError::new(&file.path, file.line(e.field), e.to_string()));
        }
        if let Some(current) = &current {
            let automatic = current.status_note.is_some();
            file.def.status = desired_status(file.def.status, current.def.status, automatic);
        }
        let action = match &current {
            None => Action::Create,
            Some(current) => {
                if let Err(e) = check_transition(current, &file.def) {
                    errors.push(FileError::whole(&file.path, e));
                }
                match file.def.changed_fields(&current.def) {
                    changed if changed.is_empty() => Action::Unchanged,
                    changed => Action::Update(changed),
                }
            }
        };
        experiments.push(ExperimentPlan { path: file.path, def: file.def, action, current });
    }
    if errors.is_empty() {
        Ok(Plan { lifecycle: desired.lifecycle, lifecycle_action, experiments })
    } else {
        Err(errors)
    }
}

/// What may change once an experiment has started: weights, traffic, targeting, texts, metrics,
/// and its status forward (running ⇄ paused → stopped). Not its variants, stage or goal, and a
/// stopped experiment stays stopped.
pub fn check_transition(current: &StoredExperiment, wanted: &ExperimentDef) -> Result<(), String> {
    let key = &wanted.key;
    let from = current.def.status;
    if from.has_ended() && !wanted.status.has_ended() {
        return Err(format!(
            "experiment {key:?} is {from} and cannot become {}: copy it under a new key to run it again",
            wanted.status
        ));
    }
    if from == Status::Shipped && wanted.status == Status::Shipped && wanted.ship != current.def.ship {
        return Err(format!(
            "experiment {key:?} ships {:?}: end that rollout first (status = \"stopped\" without `ship`, apply), then ship another variant",
            current.def.ship.as_deref().unwrap_or_default()
        ));
    }
    if wanted.status == Status::Shipped && current.started_at.is_none() {
        return Err(format!("experiment {key:?} never ran: only an experiment that has run can ship a variant"));
    }
    if current.started_at.is_none() {
        return Ok(());
    }
    if wanted.status == Status::Draft {
        return Err(format!("experiment {key:?} has started and cannot go back to draft (pause or stop it)"));
    }
    if current.def.variant_keys_differ(wanted) {
        return Err(format!(
            "experiment {key:?} has started, so its variants cannot change (weights and payloads can): stop it and copy it under a new key"
        ));
    }
    if current.def.layer != wanted.layer {
        return Err(format!(
            "experiment {key:?} has started, so its layer cannot change (customers could end up in two experiments of one layer): stop it and copy it under a new key"
        ));
    }
    for (field, was, now) in [("stage", &current.def.stage, &wanted.stage), ("goal", &current.def.goal, &wanted.goal)] {
        if was != now {
            return Err(format!("experiment {key:?} has started, so its {field} cannot change from {was:?} to {now:?}: stop it and copy it under a new key"));
        }
    }
    Ok(())
}
