//! `lifecycle.toml`: the ordered stages.

use super::FileError;
use crate::domain::lifecycle::{is_valid_stage_id, Lifecycle, Stage};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    stages: Spanned<Vec<Spanned<RawStage>>>,
    #[serde(default)]
    holdout: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    description: String,
}

/// Parses and validates the lifecycle file.
pub fn parse(path: &Path, text: &str) -> Result<Lifecycle, Vec<FileError>> {
    let raw: RawLifecycle = toml::from_str(text).map_err(|e| vec![FileError::from_toml(path, text, &e)])?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    if raw.stages.get_ref().len() < 2 {
        errors.push(FileError::at(path, text, raw.stages.span().start, "a lifecycle needs at least two stages"));
    }
    let mut stages = Vec::new();
    for stage in raw.stages.into_inner() {
        let at = stage.span().start;
        let stage = stage.into_inner();
        let id = stage.id.get_ref().clone();
        if !is_valid_stage_id(&id) {
            errors.push(FileError::at(
                path,
                text,
                stage.id.span().start,
                format!("invalid stage id {id:?}: use lower-case letters, digits, '-' and '_', starting with a letter"),
            ));
        } else if !seen.insert(id.clone()) {
            errors.push(FileError::at(path, text, stage.id.span().start, format!("duplicate stage id {id:?}")));
        }
        if stage.name.trim().is_empty() {
            errors.push(FileError::at(path, text, at, format!("stage {id:?} needs a name")));
        }
        stages.push(Stage { id, name: stage.name, description: stage.description });
    }
    let holdout = raw.holdout.as_ref().map(|h| *h.get_ref()).unwrap_or(0.0);
    if let Some(h) = &raw.holdout {
        if !(0.0..=0.5).contains(h.get_ref()) {
            errors.push(FileError::at(
                path,
                text,
                h.span().start,
                format!("holdout is a share between 0 and 0.5, not {}", h.get_ref()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Lifecycle { stages, holdout })
    } else {
        Err(errors)
    }
}
