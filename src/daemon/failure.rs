//! Why a job's run ended without a video ([`JobError`]), and what the daemon
//! does about each: the variant decides, never the error's text.

use tracing::warn;

use super::end::JobEnd;
use super::job::JobContext;
use crate::i18n::UserText;
use crate::provider::ProviderError;
use crate::queue::{Fenced, Job};
use crate::storage::StorageError;

/// Why a run produced no stored video.
#[derive(Debug)]
pub(super) enum JobError {
    /// The provider (or the download of its video, or the input image) failed:
    /// its own verdict says what follows.
    Provider(ProviderError),
    /// The finished video could not be stored: retried like a failed download
    /// (the task is resumed, not paid again).
    Storage(StorageError),
    /// The task id was refused: the lease is gone, or the request stopped.
    LostLease(Fenced),
    /// The database kept refusing a write of the run (a task id): retried.
    Database(String),
}

/// The user's message when the finished video cannot be stored (details are logged).
fn storage_failed() -> UserText {
    UserText::new(
        "Не удалось сохранить видео в хранилище.",
        "The video could not be saved to storage.",
    )
}

impl JobContext {
    /// Ends the job as its error says.
    pub(super) async fn end_with(&self, job: &Job, error: JobError) -> JobEnd {
        match error {
            JobError::Provider(error) => self.handle_error(job, error).await,
            JobError::Storage(error) => {
                warn!(%error, "cannot store the video");
                let error = ProviderError::retryable(storage_failed());
                self.handle_error(job, error).await
            }
            JobError::LostLease(refused) => self.let_go(&job.lease, refused).await,
            JobError::Database(message) => {
                self.handle_error(job, ProviderError::retryable(message))
                    .await
            }
        }
    }
}
