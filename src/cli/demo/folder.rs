//! The demo's temporary folder, `genworker-demo-<pid>-<random>` in the system's
//! temporary directory (`TMPDIR` on Unix): it holds the demo's SQLite database
//! and media, and is removed when the demo ends unless it is kept (`--keep`).

use std::path::{Path, PathBuf};

/// Why the demo's folder could not be made or removed.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folder could not be created.
    #[error("cannot create the demo folder {}: {source}", path.display())]
    Create {
        /// The folder.
        path: PathBuf,
        /// The file system's error.
        source: std::io::Error,
    },
    /// The folder could not be removed at the end.
    #[error("cannot remove the demo folder {}: {source}", path.display())]
    Remove {
        /// The folder.
        path: PathBuf,
        /// The file system's error.
        source: std::io::Error,
    },
}

/// What became of the folder at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Still there, at this path (`--keep`).
    Kept(PathBuf),
    /// Removed with everything in it.
    Removed(PathBuf),
}

/// A fresh folder that is removed when the demo ends, unless kept; also when
/// the demo stops early on an error.
#[derive(Debug)]
pub struct DemoFolder {
    path: PathBuf,
    keep: bool,
    finished: bool,
}

impl DemoFolder {
    /// Creates a new, empty folder in the temporary directory.
    pub fn create(keep: bool) -> Result<Self, FolderError> {
        let nonce: u32 = rand::random();
        let path =
            std::env::temp_dir().join(format!("genworker-demo-{}-{nonce:08x}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|source| FolderError::Create {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            path,
            keep,
            finished: false,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ends the demo's use of the folder: removes it unless kept. Every file in
    /// it must be closed by then (the database's connections too).
    pub fn finish(mut self) -> Result<Fate, FolderError> {
        self.finished = true;
        let path = std::mem::take(&mut self.path);
        if self.keep {
            return Ok(Fate::Kept(path));
        }
        match std::fs::remove_dir_all(&path) {
            Ok(()) => Ok(Fate::Removed(path)),
            Err(source) => Err(FolderError::Remove { path, source }),
        }
    }
}

impl Drop for DemoFolder {
    fn drop(&mut self) {
        if !self.finished
            && !self.keep
            && let Err(error) = std::fs::remove_dir_all(&self.path)
        {
            tracing::warn!(%error, path = %self.path.display(), "demo folder not removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_goes_unless_kept() {
        let folder = DemoFolder::create(false).unwrap();
        let path = folder.path().to_path_buf();
        std::fs::write(path.join("file"), b"x").unwrap();
        assert_eq!(folder.finish().unwrap(), Fate::Removed(path.clone()));
        assert!(!path.exists());

        let folder = DemoFolder::create(true).unwrap();
        let path = folder.path().to_path_buf();
        assert_eq!(folder.finish().unwrap(), Fate::Kept(path.clone()));
        assert!(path.is_dir());
        std::fs::remove_dir_all(&path).unwrap();

        let folder = DemoFolder::create(false).unwrap();
        let path = folder.path().to_path_buf();
        drop(folder);
        assert!(!path.exists(), "an early stop removes it too");
    }
}
