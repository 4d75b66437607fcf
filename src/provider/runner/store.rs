//! Storing a finished task's video: downloaded (credentials only to their own
//! origin, the address policy on every hop) or decoded from base64, under the
//! provider's size cap, with the provider's wording for failures.

use crate::download::{DownloadError, Stored, store_base64};
use crate::provider::{GenerationJob, ProviderError, VideoSource};

use super::Runner;

/// Stores `video` at the job's output target.
pub(super) async fn store(
    runner: &Runner,
    job: &GenerationJob,
    video: VideoSource,
) -> Result<Stored, ProviderError> {
    match video {
        VideoSource::Url { url, credentials } => runner
            .downloader
            .fetch(&url, credentials.as_ref(), &job.output)
            .await
            .map_err(|error| download_error(runner, error)),
        VideoSource::Base64 { data, fallback } => {
            let max = runner.downloader.max_bytes();
            match (store_base64(&data, &job.output, max).await, fallback) {
                (Err(DownloadError::InvalidBase64(reason)), Some(fallback)) => {
                    tracing::warn!(%reason, "the base64 field is not a video; downloading its fallback");
                    Box::pin(store(runner, job, *fallback)).await
                }
                (stored, _) => stored.map_err(|error| download_error(runner, error)),
            }
        }
    }
}

/// Too large and failures that will not pass are final; the rest may pass on retry.
fn download_error(runner: &Runner, error: DownloadError) -> ProviderError {
    let provider = runner.provider();
    match error {
        DownloadError::TooLarge { limit_bytes } => {
            ProviderError::fatal(provider.too_large_message(limit_bytes.div_ceil(1024 * 1024)))
        }
        other if other.is_retryable() => {
            ProviderError::retryable(provider.download_failed_message(&other))
        }
        other => ProviderError::fatal(provider.download_failed_message(&other)),
    }
}
