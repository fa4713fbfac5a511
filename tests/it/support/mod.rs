//! Test harness: isolated databases ([`TestDb`]), the app on port 0 ([`TestApp`]) and the
//! `stagelab` binary against a test database ([`cli`]).

pub mod app;
pub mod cli;
pub mod db;
pub mod pytools;
pub mod writes;

pub use app::TestApp;
pub use db::TestDb;

/// The experiment files shipped in `experiments/`.
pub fn shipped_experiments() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
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
