//! Starting, sharing and stopping the embedded cluster.

use super::{location, Binaries, PgError, RunAs};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The superuser and default database name of the embedded cluster.
const USER: &str = "stagelab";

/// Extra server settings for a start, e.g. `fsync=off` for throw-away test clusters. They apply
/// only when this process is the one that starts the server.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// `name=value` pairs passed to the server as `-c name=value`.
    pub settings: Vec<(String, String)>,
    /// Where the PostgreSQL programs are, when not in the usual places.
    pub bin_dir: Option<PathBuf>,
}

/// A running embedded cluster, in use by this process until dropped (or [`Cluster::stop`]ped).
/// The last process to let go of a cluster stops its server.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bins: Binaries,
    run_as: Option<RunAs>,
    /// Held shared while this process uses the cluster.
    users: Option<File>,
}

impl Cluster {
    /// Initialises (first time only) and starts the cluster for `requested_dir`, or joins it when
    /// another process already runs it.
    pub fn start(requested_dir: &Path, options: &StartOptions) -> Result<Cluster, PgError> {
        let bins = Binaries::locate(options.bin_dir.as_deref())?;
        let run_as = RunAs::detect()?;
        let dir = location::resolve(requested_dir, run_as.as_ref())?;

        // Starting is serialised by an exclusive lock; use is counted by a shared one.
        let start_lock = open_lock(&dir, "start")?;
        start_lock.lock().map_err(PgError::io("cannot lock the embedded cluster"))?;
        let users = open_lock(&dir, "users")?;
        // Blocks while a last user is stopping the server, so that we then start it again.
        users.lock_shared().map_err(PgError::io("cannot lock the embedded cluster"))?;

        let cluster = Cluster { dir, bins, run_as, users: Some(users) };
        if !cluster.dir.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if !cluster.is_running()? {
            cluster.start_server(options)?;
        }
        drop(start_lock);
        Ok(cluster)
    }

    /// The data directory (also the socket directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A connection URL for `database` on this cluster, over its unix socket.
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://{USER}@{}:5432/{database}", percent_encode(&self.dir.to_string_lossy()))
    }

    /// The URL of the application's default database (`stagelab`; created on first use by the caller).
    pub fn default_url(&self) -> String {
        self.url(USER)
    }

    /// Lets go of the cluster now; stops the server when no other process uses it.
    pub fn stop(mut self) -> Result<(), PgError> {
        self.release()
    }

    fn release(&mut self) -> Result<(), PgError> {
        let Some(users) = self.users.take() else { return Ok(()) };
        // Converting our shared lock to an exclusive one succeeds only for the last user.
        if users.try_lock().is_ok() {
            let out = self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "60"])?;
            if !out.status.success() && self.is_running()? {
                return Err(command_error("pg_ctl stop", &out));
            }
            tracing::info!(dir = %self.dir.display(), "embedded PostgreSQL stopped");
        }
        Ok(())
    }

    fn init(&self) -> Result<(), PgError> {
        // initdb into a scratch directory and rename it, so that a failed run leaves nothing half made.
        let scratch = self.dir.with_extension("initdb-tmp");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).map_err(PgError::io(format!("cannot remove {}", scratch.display())))?;
        }
        std::fs::create_dir(&scratch).map_err(PgError::io(format!("cannot create {}", scratch.display())))?;
        if let Some(user) = &self.run_as {
            user.chown(&scratch)?;
        }
        tracing::info!(dir = %self.dir.display(), "initialising embedded PostgreSQL");
        let scratch_str = scratch.to_string_lossy().to_string();
        let out =
            self.run(&self.bins.initdb, &["-D", &scratch_str, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-locale"])?;
        if !out.status.success() {
            return Err(command_error("initdb", &out));
        }
        let settings = format!(
            "\n# Set by stagelab: listen only on a private unix socket.\nlisten_addresses = ''\nunix_socket_directories = '{}'\nunix_socket_permissions = 0700\n\
             # Set by stagelab: a new WAL segment is not filled with 16 MB of zeros first. Until checkpoints\n\
             # recycle old segments, that write stalled the commit waiting for it (tens of milliseconds).\n\
             wal_init_zero = off\n",
            self.dir.display()
        );
        append(&scratch.join("postgresql.conf"), &settings)?;
        std::fs::rename(&scratch, &self.dir)
            .map_err(PgError::io(format!("cannot move the new cluster to {}", self.dir.display())))?;
        Ok(())
    }

    fn start_server(&self, options: &StartOptions) -> Result<(), PgError> {
        let log = self.dir.join("postgres.log").to_string_lossy().to_string();
        let server_opts: Vec<String> = options.settings.iter().map(|(k, v)| format!("-c {k}={v}")).collect();
        let server_opts = server_opts.join(" ");
        let mut args = vec!["start", "-w", "-t", "60", "-l", &log];
        if !server_opts.is_empty() {
            args.extend(["-o", &server_opts]);
        }
        let out = self.pg_ctl(&args)?;
        if !out.status.success() {
            let log_tail = std::fs::read_to_string(&log).map(|s| tail(&s)).unwrap_or_default();
            return Err(PgError::Command {
                program: "pg_ctl start".into(),
                status: out.status.to_string(),
                output: format!("{}\n{log_tail}", tail(&String::from_utf8_lossy(&out.stderr))),
            });
        }
        tracing::info!(dir = %self.dir.display(), "embedded PostgreSQL started");
        Ok(())
    }

    fn is_running(&self) -> Result<bool, PgError> {
        // pg_ctl status: 0 running, 3 not running, 4 no data directory.
        Ok(self.pg_ctl(&["status"])?.status.code() == Some(0))
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, PgError> {
        let dir = self.dir.to_string_lossy().to_string();
        let mut all = vec!["-D", &dir];
        all.extend_from_slice(args);
        self.run(&self.bins.pg_ctl, &all)
    }

    fn run(&self, program: &Path, args: &[&str]) -> Result<Output, PgError> {
        let mut cmd = match &self.run_as {
            Some(user) => user.command(program),
            None => Command::new(program),
        };
        // "/" so that the server's user never needs to enter our working directory.
        cmd.args(args).current_dir("/").stdin(std::process::Stdio::null());
        cmd.output().map_err(PgError::io(format!("cannot run {}", program.display())))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            tracing::error!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

fn open_lock(dir: &Path, which: &str) -> Result<File, PgError> {
    let path = dir.with_extension(format!("{which}.lock"));
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(PgError::io(format!("cannot open {}", path.display())))
}

fn append(path: &Path, text: &str) -> Result<(), PgError> {
    use std::io::Write;
    let mut file =
        OpenOptions::new().append(true).open(path).map_err(PgError::io(format!("cannot open {}", path.display())))?;
    file.write_all(text.as_bytes()).map_err(PgError::io(format!("cannot write {}", path.display())))
}

fn command_error(program: &str, out: &Output) -> PgError {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    PgError::Command { program: program.into(), status: out.status.to_string(), output: tail(&text) }
}

/// The last lines of a program's output, enough to see why it failed.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Percent-encodes a unix socket directory for the host part of a connection URL.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_directories_are_percent_encoded() {
        assert_eq!(percent_encode("/var/tmp/a b"), "%2Fvar%2Ftmp%2Fa%20b");
    }
}
