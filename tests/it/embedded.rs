//! The embedded PostgreSQL through the real binary: `serve` with no `DATABASE_URL` starts a
//! private cluster, other commands share it, and stopping the service stops it.

use crate::support::cli::spawn_serve;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn stagelab(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagelab"));
    cmd.env_remove("DATABASE_URL")
        .env("STAGELAB_DATA_DIR", data_dir)
        .env("STAGELAB_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A data directory that the `postgres` user can reach when the tests run as root.
fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Starts `serve` on a free port; returns the child and its base URL.
fn serve(data_dir: &Path) -> (Child, String) {
    let mut cmd = stagelab(data_dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0"]);
    spawn_serve(cmd)
}

async fn status(url: &str) -> Option<u16> {
    reqwest::get(url).await.ok().map(|r| r.status().as_u16())
}

fn postmaster_pid(cluster: &Path) -> Option<i32> {
    std::fs::read_to_string(cluster.join("postmaster.pid")).ok()?.lines().next()?.trim().parse().ok()
}

/// Whether a process runs (a zombie does not count: where PID 1 does not reap orphans, a stopped
/// postmaster lingers as one).
fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next());
    matches!(state, Some(s) if s != "Z" && s != "X")
}

fn interrupt_and_wait(child: &mut Child) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "serve exited with {status}");
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_starts_a_private_cluster_shares_it_and_stops_it_on_ctrl_c() {
    let data = open_tempdir();
    let cluster: PathBuf = data.path().join("postgres");
    let (mut child, url) = serve(data.path());
    assert_eq!(status(&format!("{url}/readyz")).await, Some(200));
    let pid = postmaster_pid(&cluster).expect("the cluster lives in the data directory");
    assert!(alive(pid));
    let config = std::fs::read_to_string(cluster.join("postgresql.conf")).unwrap();
    assert!(config.contains("listen_addresses = ''"), "listens on no TCP port");

    // A second command joins the running cluster and leaves it running when it exits.
    let out = stagelab(data.path()).args(["keys", "create", "shop"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(postmaster_pid(&cluster), Some(pid), "no second postmaster");
    assert_eq!(status(&format!("{url}/readyz")).await, Some(200));

    interrupt_and_wait(&mut child);
    assert!(!alive(pid), "the postmaster stopped with the service");
    assert!(!cluster.join("postmaster.pid").exists());

    // A command on its own starts the cluster again and stops it when done.
    let out = stagelab(data.path()).args(["migrate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!cluster.join("postmaster.pid").exists(), "the last user stops the cluster");
}

#[test]
fn missing_binaries_are_named() {
    let data = open_tempdir();
    let empty = tempfile::tempdir().unwrap();
    let out = stagelab(data.path()).args(["migrate", "--pg-bin-dir"]).arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("initdb not found: install PostgreSQL"), "{err}");
    assert!(err.contains("or set DATABASE_URL"), "{err}");
}

#[test]
fn as_root_an_unreachable_data_dir_falls_back_to_var_tmp() {
    if !nix::unistd::geteuid().is_root() {
        return; // The fallback exists for root, whose server runs as `postgres`.
    }
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap(); // like /root
    let data = home.path().join("checkout").join("var");
    let out = stagelab(&data).args(["migrate"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("cannot enter") && err.contains("/var/tmp/stagelab-"), "the fallback is explained: {err}");
    assert!(!data.join("postgres").exists());
    let fallback =
        err.split_whitespace().find_map(|w| w.strip_prefix("using=")).unwrap_or_else(|| panic!("{err}")).to_string();
    let fallback = PathBuf::from(fallback.trim_matches('"'));
    assert!(fallback.join("PG_VERSION").exists(), "{}", fallback.display());
    assert!(!fallback.join("postmaster.pid").exists());
    std::fs::remove_dir_all(fallback.parent().unwrap()).unwrap();
}
