//! A file being written: created under a temporary name beside its destination
//! and renamed into place only when complete, so a crash or a failed download
//! never leaves a partial video where a finished one is expected.

use std::path::PathBuf;

use tokio::io::{AsyncWriteExt, BufWriter};

use crate::provider::OutputTarget;

/// An open temporary file that is removed unless [`PartFile::commit`] succeeds.
pub struct PartFile {
    path: PathBuf,
    writer: Option<BufWriter<tokio::fs::File>>,
    written: u64,
}

impl PartFile {
    /// Creates `<dir>/.<stem>.<random>.part` (and `dir` when missing).
    pub async fn create(target: &OutputTarget) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(&target.dir).await?;
        let nonce: u64 = rand::random();
        let path = target
            .dir
            .join(format!(".{}.{nonce:016x}.part", target.stem));
        let file = tokio::fs::File::create(&path).await?;
        Ok(Self {
            path,
            writer: Some(BufWriter::with_capacity(256 * 1024, file)),
            written: 0,
        })
    }

    /// Appends bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let writer = self.writer.as_mut().ok_or_else(closed)?;
        writer.write_all(bytes).await?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes, syncs and renames the file to `<dir>/<stem>.<extension>`.
    pub async fn commit(
        mut self,
        target: &OutputTarget,
        extension: &str,
    ) -> std::io::Result<PathBuf> {
        let mut writer = self.writer.take().ok_or_else(closed)?;
        writer.flush().await?;
        let file = writer.into_inner();
        file.sync_all().await?;
        drop(file);
        let destination = target.dir.join(format!("{}.{extension}", target.stem));
        tokio::fs::rename(&self.path, &destination).await?;
        self.path = PathBuf::new();
        Ok(destination)
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn closed() -> std::io::Error {
    std::io::Error::other("the file was already committed")
}
