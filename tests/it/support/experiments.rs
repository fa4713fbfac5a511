//! Experiment files for tests: the shipped ones, a copy to change, and one checked edit.

use std::path::{Path, PathBuf};

/// The experiment files shipped in `experiments/`.
pub fn shipped_experiments() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

/// A copy of `experiments/` in a temporary directory, to edit in a test.
pub fn experiments_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(shipped_experiments()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// Replaces the first `from` in `dir/file` with `to`; panics if `from` is not there, so that an
/// edit cannot silently stop applying when a shipped file changes.
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {file}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}
