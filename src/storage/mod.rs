//! Where finished videos end up, behind [`ResultStore`]: the local `MEDIA_ROOT`
//! folder (the default; the provider already wrote the file there) or an
//! S3-compatible bucket (`S3_*` settings, [`crate::settings::S3Settings`]), which
//! receives the file streamed from disk. Either way the store answers the URL
//! that goes into `result_urls`.

mod local;
mod s3;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

pub use local::LocalStore;
pub use s3::S3Store;

use crate::settings::Settings;

/// The key prefix (and `MEDIA_ROOT` subfolder) videos are stored under.
pub const VIDEOS_PREFIX: &str = "videos/";

/// Why a finished video could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The store could not be set up from its settings.
    #[error("cannot set up the result storage: {0}")]
    Setup(String),
    /// The local file has no usable name.
    #[error("the video path {0} has no file name")]
    NoFileName(String),
    /// The local file could not be read.
    #[error("cannot read the video file: {0}")]
    Read(#[from] std::io::Error),
    /// The bucket refused or failed the upload (after the client's own retries).
    #[error("upload of {key} failed: {reason}")]
    Upload {
        /// The object key.
        key: String,
        /// What the object store said (never credentials).
        reason: String,
    },
}

/// Stores finished videos and says under which URL they are served.
#[async_trait]
pub trait ResultStore: Send + Sync + std::fmt::Debug {
    /// Stores the complete video at `file` (named `<run_code>.<ext>`) and answers
    /// the URL for `result_urls`. Running it again for the same file overwrites
    /// the same object, so a retry after a crash is harmless.
    async fn publish(&self, file: &Path, mime_type: &str) -> Result<String, StorageError>;

    /// Whether videos leave `MEDIA_ROOT`: the local file is then only a working
    /// copy, removed once nothing reads it any more (the Telegram upload).
    fn is_remote(&self) -> bool;
}

/// The store the settings ask for: S3 when `S3_BUCKET` is set, else `MEDIA_ROOT`.
pub fn from_settings(settings: &Settings) -> Result<Arc<dyn ResultStore>, StorageError> {
    Ok(match &settings.s3 {
        Some(s3) => Arc::new(S3Store::new(s3)?),
        None => Arc::new(LocalStore::new(settings.daemon.media_url.clone())),
    })
}

/// `videos/<file name>`: the object key, and the path under `MEDIA_ROOT`/`MEDIA_URL`.
pub fn video_key(file: &Path) -> Result<String, StorageError> {
    let name = file
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| StorageError::NoFileName(file.display().to_string()))?;
    Ok(format!("{VIDEOS_PREFIX}{name}"))
}
