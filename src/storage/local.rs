//! The default store: the video stays where the provider wrote it
//! (`MEDIA_ROOT/videos/`) and is served under `MEDIA_URL`.

use std::path::Path;

use async_trait::async_trait;

use super::{ResultStore, StorageError, video_key};

/// Videos kept under `MEDIA_ROOT`, linked as `MEDIA_URL` + `videos/<file>`.
#[derive(Debug, Clone)]
pub struct LocalStore {
    media_url: String,
}

impl LocalStore {
    /// A store answering URLs under `media_url` (which ends in `/`).
    pub fn new(media_url: String) -> Self {
        Self { media_url }
    }
}

#[async_trait]
impl ResultStore for LocalStore {
    async fn publish(&self, file: &Path, _mime_type: &str) -> Result<String, StorageError> {
        Ok(format!("{}{}", self.media_url, video_key(file)?))
    }

    fn is_remote(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_url_is_media_url_plus_the_videos_path() {
        let store = LocalStore::new("/media/".into());
        let url = store
            .publish(Path::new("/srv/media/videos/abc.mp4"), "video/mp4")
            .await
            .unwrap();
        assert_eq!(url, "/media/videos/abc.mp4");
        assert!(!store.is_remote());
    }
}
