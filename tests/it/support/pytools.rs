//! The Python tools of the OpenAPI tests (openapi-spec-validator, schemathesis): installed by
//! `scripts/pytools` into `target/pytools`, once per run.
//!
//! Without python3 the tests that need them print why and pass, unless
//! `STAGELAB_REQUIRE_PYTHON_TOOLS=1` (`.ci/run` sets it, after making sure python3 is there):
//! then a missing tool is a failure, so CI cannot skip them silently.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The virtualenv's `bin` directory, or `None` when the tools cannot be had and may be skipped.
pub fn bin_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let required = std::env::var("STAGELAB_REQUIRE_PYTHON_TOOLS").is_ok_and(|v| v == "1");
    match DIR.get_or_init(install) {
        Ok(dir) => Some(dir.clone()),
        Err(why) if required => panic!("{why} (STAGELAB_REQUIRE_PYTHON_TOOLS=1: the tools are required)"),
        Err(why) => {
            eprintln!("SKIPPED: {why}; set STAGELAB_REQUIRE_PYTHON_TOOLS=1 to make this a failure");
            None
        }
    }
}

/// Runs `scripts/pytools` (a no-op once installed); an error only when python3 is absent, else a
/// failed install panics.
fn install() -> Result<PathBuf, String> {
    let python = std::env::var("STAGELAB_PYTHON").unwrap_or_else(|_| "python3".into());
    if Command::new(&python).arg("--version").output().is_err() {
        return Err(format!("{python} not found: the OpenAPI validation and schemathesis tests need Python 3"));
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join("scripts/pytools")).current_dir(root).output().unwrap();
    assert!(
        output.status.success(),
        "scripts/pytools failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(PathBuf::from(String::from_utf8(output.stdout).unwrap().trim()))
}
