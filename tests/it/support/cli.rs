//! Running the real `stagelab` binary against a test database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `stagelab ARGS` with `DATABASE_URL` set, feeding `stdin`; returns its output.
pub fn run(database_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagelab"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("STAGELAB_LOG", "warn")
        .env("USER", "tester")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the stagelab binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
