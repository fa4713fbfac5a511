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

/// Starts `cmd` (a `stagelab serve --bind 127.0.0.1:0 …` command) and returns the child and its
/// base URL, read from the line it prints when listening.
pub fn spawn_serve(mut cmd: Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("serve prints its URL").unwrap();
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            break url.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// Sends a signal to a child process.
pub fn signal(child: &std::process::Child, signal: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
}

/// `stagelab serve` on a free loopback port with two workers, against `database_url`.
pub fn serve_command(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagelab"));
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--workers", "2"])
        .env("DATABASE_URL", database_url)
        .env("STAGELAB_LOG", "error")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}
