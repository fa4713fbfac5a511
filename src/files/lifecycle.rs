//! `lifecycle.toml`: the ordered stages.

use super::FileError;
use crate::domain::lifecycle::{is_valid_stage_id, Lifecycle, ProgrammeWindows, Stage, StageRules};
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
    #[serde(default)]
    rules: Option<Spanned<RawRules>>,
    #[serde(default)]
    programme_windows_days: Option<Spanned<Vec<u32>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    first_purchase: Option<String>,
    repeat_purchase: Option<String>,
    referral: Option<String>,
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
    let mut rules = StageRules::defaults_for(&stages);
    if let Some(raw) = &raw.rules {
        let given = raw.get_ref();
        for (name, value, slot) in [
            ("first_purchase", &given.first_purchase, &mut rules.first_purchase),
            ("repeat_purchase", &given.repeat_purchase, &mut rules.repeat_purchase),
            ("referral", &given.referral, &mut rules.referral),
        ] {
            if let Some(id) = value {
                if stages.iter().any(|s| &s.id == id) {
                    *slot = Some(id.clone());
                } else {
                    errors.push(FileError::at(
                        path,
                        text,
                        raw.span().start,
                        format!("rules.{name}: {id:?} is not a stage"),
                    ));
                }
            }
        }
    }
    let mut windows_days = ProgrammeWindows::default();
    if let Some(w) = &raw.programme_windows_days {
        match ProgrammeWindows::new(w.get_ref().clone()) {
            Ok(w) => windows_days = w,
            Err(e) => errors.push(FileError::at(path, text, w.span().start, e)),
        }
    }
    if errors.is_empty() {
        Ok(Lifecycle { stages, holdout, rules, windows_days })
    } else {
        Err(errors)
    }
}
