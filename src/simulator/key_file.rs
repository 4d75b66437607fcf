//! The simulator's service-account key as a file, for a separate process that
//! reads `GOOGLE_APPLICATION_CREDENTIALS_JSON=<path>`: `key.json` in a fresh
//! folder of the system's temporary directory, the folder enterable and the
//! file readable by their owner only; both removed when the value is dropped.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::Simulator;

/// A written key file, removed with its folder on drop.
#[derive(Debug)]
pub struct ServiceAccountFile {
    folder: PathBuf,
    path: PathBuf,
}

impl ServiceAccountFile {
    /// Writes `simulator`'s service-account JSON to a new file.
    pub fn create(simulator: &Simulator) -> io::Result<Self> {
        let nonce: u32 = rand::random();
        let folder =
            std::env::temp_dir().join(format!("genworker-sim-{}-{nonce:08x}", std::process::id()));
        private_folder(&folder)?;
        let written = Self {
            path: folder.join("key.json"),
            folder,
        };
        let mut file = private_file(&written.path)?;
        file.write_all(simulator.service_account_json().as_bytes())?;
        file.sync_all()?;
        Ok(written)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ServiceAccountFile {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.folder) {
            tracing::warn!(%error, path = %self.folder.display(), "key folder not removed");
        }
    }
}

#[cfg(unix)]
fn private_folder(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

#[cfg(not(unix))]
fn private_folder(path: &Path) -> io::Result<()> {
    std::fs::create_dir(path)
}

fn private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::super::SimulatorConfig;
    use super::*;

    #[tokio::test]
    async fn the_key_file_is_private_and_goes_on_drop() {
        let config = SimulatorConfig::new("key", "secret", "1:token");
        let sim = Simulator::start(config).await.expect("simulator starts");
        let file = ServiceAccountFile::create(&sim).expect("written");
        let path = file.path().to_path_buf();
        let text = std::fs::read_to_string(&path).expect("readable");
        assert_eq!(text, sim.service_account_json());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode();
            assert_eq!(mode(&path) & 0o777, 0o600);
            assert_eq!(mode(path.parent().expect("a folder")) & 0o777, 0o700);
        }
        let folder = path.parent().expect("a folder").to_path_buf();
        drop(file);
        assert!(!folder.exists());
    }
}
