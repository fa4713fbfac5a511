//! Where the cluster lives and which user runs it.

use super::PgError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The unprivileged user that runs PostgreSQL when stagelab itself runs as root.
#[derive(Debug, Clone)]
pub struct RunAs {
    /// The user name (given to `runuser`).
    pub name: String,
    /// Its uid, for chown.
    pub uid: nix::unistd::Uid,
    /// Its primary gid, for chown.
    pub gid: nix::unistd::Gid,
}

impl RunAs {
    /// `None` when not running as root (the server then runs as the current user); otherwise the
    /// `postgres` system user.
    pub fn detect() -> Result<Option<RunAs>, PgError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(None);
        }
        let user = nix::unistd::User::from_name("postgres").ok().flatten().ok_or(PgError::NoUnprivilegedUser)?;
        Ok(Some(RunAs { name: user.name, uid: user.uid, gid: user.gid }))
    }

    /// A command that runs `program` as this user.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(runuser());
        cmd.arg("-u").arg(&self.name).arg("--").arg(program);
        cmd
    }

    /// Whether this user can enter `dir` (the check runs as that user, so it accounts for every
    /// parent directory, ACLs included). It need not write there: the cluster directory is created
    /// by us and then given to it.
    fn can_use(&self, dir: &Path) -> bool {
        let mut cmd = Command::new(runuser());
        cmd.arg("-u").arg(&self.name).arg("--").arg("test").arg("-x").arg(dir);
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        cmd.status().map(|s| s.success()).unwrap_or(false)
    }

    /// Gives `path` to this user.
    pub fn chown(&self, path: &Path) -> Result<(), PgError> {
        nix::unistd::chown(path, Some(self.uid), Some(self.gid))
            .map_err(|e| PgError::io(format!("cannot give {} to user {}", path.display(), self.name))(e.into()))
    }
}

fn runuser() -> &'static str {
    if Path::new("/usr/sbin/runuser").exists() {
        "/usr/sbin/runuser"
    } else {
        "runuser"
    }
}

/// The longest unix socket path the kernel accepts (`sun_path` is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Picks the cluster directory for the requested one.
///
/// The requested directory is used unless (a) the server's user cannot reach it, e.g. a checkout
/// under a home directory with mode 700 while the server runs as `postgres`, or (b) the socket
/// path inside it would be too long. Then a per-directory fallback under `/var/tmp` is used, the
/// same one every time for the same requested directory, and a warning says so.
pub fn resolve(requested: &Path, run_as: Option<&RunAs>) -> Result<PathBuf, PgError> {
    let requested = absolute(requested)?;
    let parent = requested
        .parent()
        .ok_or_else(|| PgError::Directory(format!("{} has no parent directory", requested.display())))?;
    std::fs::create_dir_all(parent).map_err(PgError::io(format!("cannot create {}", parent.display())))?;

    let reachable = run_as.is_none_or(|user| user.can_use(parent));
    if reachable && socket_fits(&requested) {
        return Ok(requested);
    }
    let fallback = fallback_for(&requested);
    let why = if reachable {
        "its socket path would be too long".to_string()
    } else {
        format!(
            "user {} (which runs PostgreSQL, since PostgreSQL refuses to run as root) cannot enter {} (a parent directory is not searchable, e.g. a home directory with mode 700)",
            run_as.map(|u| u.name.as_str()).unwrap_or("?"),
            parent.display()
        )
    };
    let fallback_parent = fallback.parent().expect("fallback has a parent");
    std::fs::create_dir_all(fallback_parent)
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(fallback_parent, std::fs::Permissions::from_mode(0o755))
        })
        .map_err(|e| {
            PgError::Directory(format!(
                "cannot use {} for the embedded PostgreSQL: {why}; the fallback {} failed too ({e}). Set STAGELAB_DATA_DIR to a directory that user can reach, or set DATABASE_URL",
                requested.display(),
                fallback_parent.display()
            ))
        })?;
    // The path is predictable and /var/tmp is world-writable: refuse a directory someone else made.
    if let Some(user) = run_as {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(fallback_parent)
            .map_err(PgError::io(format!("cannot inspect {}", fallback_parent.display())))?;
        let ours = meta.uid() == nix::unistd::geteuid().as_raw() || meta.uid() == user.uid.as_raw();
        if !ours || meta.mode() & 0o022 != 0 {
            return Err(PgError::Directory(format!(
                "{} exists but is not owned by root or {} (or is writable by others): refusing to use it for the embedded PostgreSQL. Remove it, or set STAGELAB_DATA_DIR or DATABASE_URL",
                fallback_parent.display(),
                user.name
            )));
        }
        if !user.can_use(fallback_parent) {
            return Err(PgError::Directory(format!(
                "cannot use {} for the embedded PostgreSQL: {why}; the fallback {} is not usable either. Set STAGELAB_DATA_DIR or DATABASE_URL",
                requested.display(),
                fallback_parent.display()
            )));
        }
    }
    tracing::warn!(requested = %requested.display(), using = %fallback.display(), "embedded PostgreSQL cannot live in the data directory: {why}; using the fallback instead");
    Ok(fallback)
}

fn absolute(path: &Path) -> Result<PathBuf, PgError> {
    let abs = std::path::absolute(path).map_err(PgError::io(format!("cannot resolve {}", path.display())))?;
    // Canonicalise the existing part so that two spellings of one directory share one cluster.
    let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else { return Ok(abs) };
    Ok(std::fs::canonicalize(parent).map(|p| p.join(name)).unwrap_or(abs))
}

fn socket_fits(dir: &Path) -> bool {
    dir.join(".s.PGSQL.5432").as_os_str().len() <= MAX_SOCKET_PATH
}

/// `/var/tmp/stagelab-<hash of the requested path>/postgres`.
fn fallback_for(requested: &Path) -> PathBuf {
    let digest = Sha256::digest(requested.as_os_str().as_encoded_bytes());
    PathBuf::from("/var/tmp").join(format!("stagelab-{}", &hex::encode(digest)[..16])).join("postgres")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_is_stable_and_distinct_per_directory() {
        let a = fallback_for(Path::new("/root/a/var/postgres"));
        assert_eq!(a, fallback_for(Path::new("/root/a/var/postgres")));
        assert_ne!(a, fallback_for(Path::new("/root/b/var/postgres")));
        assert!(a.starts_with("/var/tmp"));
        assert!(socket_fits(&a));
    }

    #[test]
    fn long_socket_paths_are_detected() {
        assert!(socket_fits(Path::new("/srv/stagelab/var/postgres")));
        let long = PathBuf::from("/").join("x".repeat(100)).join("postgres");
        assert!(!socket_fits(&long));
    }
}
