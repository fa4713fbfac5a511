//! Experiments as code: reading and validating `experiments/` (CONTRACT §6).
//!
//! `lifecycle.toml` lists the ordered stages; every other `*.toml` file is one experiment. All
//! problems of all files are collected, each naming its file and line, so a user fixes everything
//! in one pass.

mod error;
mod experiment;
mod export;
mod lifecycle;
mod value;

pub use error::FileError;
pub use export::to_toml;

use crate::domain::experiment::ExperimentDef;
use crate::domain::lifecycle::Lifecycle;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An experiment read from a file.
#[derive(Debug, Clone)]
pub struct FileExperiment {
    /// The file it came from.
    pub path: PathBuf,
    /// Its definition.
    pub def: ExperimentDef,
    /// The 1-based line of each top-level field, for errors found against the stored state.
    pub lines: HashMap<String, usize>,
}

impl FileExperiment {
    /// The line of top-level `field` (0 when the file does not set it).
    pub fn line(&self, field: &str) -> usize {
        self.lines.get(field).copied().unwrap_or(0)
    }
}

/// The line of every top-level `name = …` before the first table.
fn field_lines(text: &str) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with('[') {
            break;
        }
        if let Some((name, _)) = line.split_once('=') {
            lines.entry(name.trim().to_string()).or_insert(i + 1);
        }
    }
    lines
}

/// Everything a directory of experiment files asks for.
#[derive(Debug, Clone)]
pub struct Desired {
    /// The lifecycle stages.
    pub lifecycle: Lifecycle,
    /// Where the lifecycle is defined: its file and the line of its `holdout` (0 when unset).
    pub holdout_at: (PathBuf, usize),
    /// The experiments, in file-name order.
    pub experiments: Vec<FileExperiment>,
}

/// The name of the lifecycle file inside the directory.
pub const LIFECYCLE_FILE: &str = "lifecycle.toml";

/// Reads and validates every file in `dir`; on failure, returns every problem found.
pub fn load_dir(dir: &Path) -> Result<Desired, Vec<FileError>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| vec![FileError::whole(dir, format!("cannot read the directory: {e}"))])?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();

    let mut errors = Vec::new();
    let lifecycle_path = dir.join(LIFECYCLE_FILE);
    let mut holdout_line = 0;
    let lifecycle = match read(&lifecycle_path) {
        Ok(text) => {
            holdout_line = field_lines(&text).get("holdout").copied().unwrap_or(0);
            lifecycle::parse(&lifecycle_path, &text).map_err(|e| errors.extend(e)).ok()
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };

    let mut experiments: Vec<FileExperiment> = Vec::new();
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for path in files.iter().filter(|p| p.file_name().is_some_and(|n| n != LIFECYCLE_FILE)) {
        let text = match read(path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match experiment::parse(path, &text, lifecycle.as_ref()) {
            Ok((def, key_line)) => {
                if let Some((other, line)) = seen.get(&def.key) {
                    errors.push(FileError::new(
                        path,
                        key_line,
                        format!("duplicate experiment key {:?}: also defined in {}:{line}", def.key, other.display()),
                    ));
                } else {
                    seen.insert(def.key.clone(), (path.clone(), key_line));
                    experiments.push(FileExperiment { path: path.clone(), def, lines: field_lines(&text) });
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    match lifecycle {
        Some(lifecycle) if errors.is_empty() => {
            Ok(Desired { lifecycle, holdout_at: (lifecycle_path, holdout_line), experiments })
        }
        _ => Err(errors),
    }
}

/// Parses and validates one experiment's TOML text (e.g. built from a form) against a lifecycle.
pub fn parse_experiment(text: &str, lifecycle: &Lifecycle) -> Result<ExperimentDef, Vec<FileError>> {
    experiment::parse(Path::new("experiment.toml"), text, Some(lifecycle)).map(|(def, _)| def)
}

fn read(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| FileError::whole(path, format!("cannot read: {e}")))
}

#[cfg(test)]
mod tests;
