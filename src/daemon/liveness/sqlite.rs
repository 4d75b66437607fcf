//! Liveness on SQLite: an exclusive `flock` on a file of this worker's own
//! beside the database (`<database>.workers/<key>.lock`), held for as long as
//! the process lives; another worker that can take the lock knows the
//! process is gone (a crashed worker's file stays behind for it to find).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The held lock file; dropping it lets the lock go.
#[derive(Debug)]
pub struct LockFile {
    _file: File,
    path: PathBuf,
}

/// The folder of the lock files of the workers of `database`.
pub fn folder(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".workers");
    PathBuf::from(name)
}

fn path(folder: &Path, key: i64) -> PathBuf {
    folder.join(format!("{key}.lock"))
}

impl LockFile {
    /// Creates and locks this worker's file.
    pub fn take(folder: &Path, key: i64) -> std::io::Result<Self> {
        std::fs::create_dir_all(folder)?;
        let path = path(folder, key);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.try_lock().map_err(|error| match error {
            TryLockError::WouldBlock => std::io::Error::other("the lock file is already held"),
            TryLockError::Error(error) => error,
        })?;
        Ok(Self { _file: file, path })
    }

    /// Lets the lock go and removes the file (a clean stop).
    pub fn remove(self) {
        let path = self.path.clone();
        drop(self);
        let _ = std::fs::remove_file(path);
    }
}

/// Whether the worker with lock `key` is gone: its lock can be taken (then its
/// file is removed). A file that cannot be opened (missing, no permission, no
/// descriptor left) says nothing, so its worker counts as alive and its leases
/// wait for their expiry.
pub fn is_gone(folder: &Path, key: i64) -> bool {
    let path = path(folder, key);
    let file = match OpenOptions::new().read(true).open(&path) {
        Ok(file) => file,
        Err(error) => {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), %error, "cannot check a worker's lock file");
            }
            return false;
        }
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_and_a_dropped_one_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let folder = folder(&dir.path().join("db.sqlite3"));
        let held = LockFile::take(&folder, 7).unwrap();
        assert!(!is_gone(&folder, 7), "held by this open file");
        assert!(
            !is_gone(&folder, 8),
            "no file says nothing: left to the lease"
        );
        drop(held);
        assert!(is_gone(&folder, 7), "let go");
        assert!(
            !folder.join("7.lock").exists(),
            "removed by whoever found it gone"
        );
        LockFile::take(&folder, 9).unwrap().remove();
        assert!(!folder.join("9.lock").exists());
    }
}
