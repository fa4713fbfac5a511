//! Finding the installed PostgreSQL server programs.

use super::PgError;
use std::path::{Path, PathBuf};

/// The PostgreSQL programs the embedded cluster needs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `initdb`: creates a cluster.
    pub initdb: PathBuf,
    /// `pg_ctl`: starts, stops and checks the server.
    pub pg_ctl: PathBuf,
}

impl Binaries {
    /// Finds `initdb` and `pg_ctl` in `bin_dir` when given (only there), else on `PATH`, else in
    /// the newest `/usr/lib/postgresql/*/bin`. Both are taken from one directory where possible,
    /// so their versions agree.
    pub fn locate(bin_dir: Option<&Path>) -> Result<Binaries, PgError> {
        let dirs = match bin_dir {
            Some(dir) => vec![dir.to_owned()],
            None => search_dirs(std::env::var_os("PATH"), Path::new("/usr/lib/postgresql")),
        };
        let initdb = find_in("initdb", &dirs).ok_or(PgError::MissingBinary("initdb"))?;
        let sibling = initdb.with_file_name("pg_ctl");
        let pg_ctl = if is_executable(&sibling) {
            sibling
        } else {
            find_in("pg_ctl", &dirs).ok_or(PgError::MissingBinary("pg_ctl"))?
        };
        Ok(Binaries { initdb, pg_ctl })
    }
}

/// The directories searched, in order: `PATH`, then `<root>/<version>/bin`, newest version first.
fn search_dirs(path: Option<std::ffi::OsString>, versions_root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = path.map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(versions_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    dirs.extend(versions.into_iter().map(|(_, dir)| dir));
    dirs
}

fn find_in(program: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().map(|dir| dir.join(program)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_directories_come_after_path_newest_first() {
        let root = tempfile::tempdir().unwrap();
        for v in ["13", "16", "9", "notaversion"] {
            std::fs::create_dir_all(root.path().join(v).join("bin")).unwrap();
        }
        let dirs = search_dirs(Some("/a:/b".into()), root.path());
        let tail: Vec<_> = dirs[2..].iter().map(|d| d.parent().unwrap().file_name().unwrap().to_owned()).collect();
        assert_eq!(dirs[0], PathBuf::from("/a"));
        assert_eq!(dirs[1], PathBuf::from("/b"));
        assert_eq!(tail, ["16", "13", "9"]);
    }

    #[test]
    fn a_program_is_found_only_when_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("initdb");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(find_in("initdb", &[dir.path().to_owned()]), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_in("initdb", &[dir.path().to_owned()]), Some(file));
    }
}
