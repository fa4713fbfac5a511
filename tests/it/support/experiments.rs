//! Experiment files for tests: the shipped ones, a copy to change, and one checked edit.

use std::path::{Path, PathBuf};

/// The holdout line of the repository's `lifecycle.toml`.
const REPOSITORY_HOLDOUT: &str = "holdout = 0.05";

/// The holdout line of the test copies: off, so that every customer can get every experiment.
pub const NO_HOLDOUT: &str = "holdout = 0.0";

/// The experiment files as checked in under `experiments/` (the demo's).
pub fn repository_experiments() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

/// The repository's experiment files with the programme holdout off ([`NO_HOLDOUT`]), written
/// once per test run under Cargo's temporary directory for integration tests. Tests of the holdout
/// edit a copy ([`experiments_copy`]) to set one.
pub fn shipped_experiments() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("experiments-without-holdout");
        std::fs::create_dir_all(&dir).unwrap();
        copy_into(&repository_experiments(), &dir);
        edit(&dir, "lifecycle.toml", REPOSITORY_HOLDOUT, NO_HOLDOUT);
        dir
    })
    .clone()
}

/// A copy of [`shipped_experiments`] in a temporary directory, to edit in a test.
pub fn experiments_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_into(&shipped_experiments(), dir.path());
    dir
}

fn copy_into(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// Replaces the first `from` in `dir/file` with `to`; panics if `from` is not there, so that an
/// edit cannot silently stop applying when a shipped file changes.
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {file}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}
