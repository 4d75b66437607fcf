//! Writing how a job ended: the video, a failure (with its refund), or a retry
//! later; then telling the user.

use std::path::Path;
use std::time::Duration;

use tracing::{info, warn};

use super::end::{FailureReason, JobEnd};
use super::job::{JobContext, MAX_RETRY_WAIT};
use super::notify::video_facts;
use super::plan::Plan;
use crate::catalog::AiModel;
use crate::i18n::{Language, UserText};
use crate::message::{ChargeFacts, VideoFacts};
use crate::net::Backoff;
use crate::provider::{ProviderError, VideoResult};
use crate::queue::{
    Claimed, CompletionWrite, Failure, Fenced, GenRequest, RefundOutcome, Success, kept_seconds,
    kept_text,
};

/// The user's message when the finished video cannot be stored (details are logged).
fn storage_failed() -> UserText {
    UserText::new(
        "Не удалось сохранить видео в хранилище.",
        "The video could not be saved to storage.",
    )
}

/// The user's message when the job failed inside genworker (details are logged).
fn internal_error() -> UserText {
    UserText::new(
        "Внутренняя ошибка при обработке запроса.",
        "An internal error occurred while processing the request.",
    )
}

/// What a finished video's caption shows besides the request itself.
pub(super) struct Shown<'a> {
    /// The request's model.
    pub model: &'a AiModel,
    /// Its merged params (duration, resolution, aspect ratio, unless the
    /// provider reports the video's own).
    pub plan: &'a Plan,
    /// Its charge.
    pub charged: Option<&'a ChargeFacts>,
}

impl JobContext {
    pub(super) async fn succeed(
        &self,
        claimed: Claimed,
        request: &GenRequest,
        language: Language,
        shown: Shown<'_>,
        video: VideoResult,
    ) -> JobEnd {
        let stored = shown.plan.finished(&video.reported, self.widths);
        let result_url = match self.publish(&video).await {
            Ok(url) => url,
            Err(error) => return self.handle_error(claimed, request, language, error).await,
        };
        let success = Success {
            result_url,
            file_size: video.size_bytes,
            duration: stored.duration,
            video_resolution: stored.resolution.clone(),
            aspect_ratio: stored.aspect_ratio.clone(),
            provider_job_id: video.task_id.clone(),
            provider_metadata: video.metadata.clone(),
            notify: self.notifier.is_some() && request.chat_id != 0,
        };
        let url = success.result_url.clone();
        match self
            .writes
            .complete(CompletionWrite {
                request_id: claimed.request_id,
                attempt: claimed.attempt,
                success,
            })
            .await
        {
            Ok(Fenced::Applied) => {
                info!(bytes = video.size_bytes, "request done");
                // What the row now says, as a redelivery would read it.
                let values = (
                    kept_seconds(stored.duration, request.duration),
                    kept_text(&stored.resolution, &request.video_resolution),
                    kept_text(&stored.aspect_ratio, &request.aspect_ratio),
                );
                let facts = video_facts(request, shown.model, shown.charged, values);
                self.tell_done(
                    request,
                    &facts,
                    language,
                    (&video.file, &url),
                    claimed.attempt,
                )
                .await;
                self.discard_working_copy(&video.file).await;
                JobEnd::Done
            }
            Ok(other) => {
                info!(
                    outcome = other.label(),
                    "result not written: the request is no longer ours"
                );
                if other == Fenced::NotProcessing {
                    // Cancelled: nobody will send or serve this copy.
                    self.discard_working_copy(&video.file).await;
                }
                self.let_go(claimed, other).await
            }
            Err(error) => self.retry(claimed, error.to_string(), None).await,
        }
    }

    /// Hands the finished video to the result store. A failure is retried like a
    /// failed local write (the task is resumed, not paid again).
    async fn publish(&self, video: &VideoResult) -> Result<String, ProviderError> {
        match self.results.publish(&video.file, &video.mime_type).await {
            Ok(url) => {
                if self.results.is_remote() {
                    info!(%url, bytes = video.size_bytes, "video uploaded");
                }
                Ok(url)
            }
            Err(error) => {
                warn!(%error, "cannot store the video");
                self.discard_working_copy(&video.file).await;
                Err(ProviderError::retryable(storage_failed()))
            }
        }
    }

    /// Sends the video (from the local file) to the user, when Telegram is set up.
    async fn tell_done(
        &self,
        request: &GenRequest,
        facts: &VideoFacts<'_>,
        language: Language,
        file_and_url: (&Path, &str),
        attempt: i32,
    ) {
        let Some(notifier) = self.notifier.as_ref().filter(|_| request.chat_id != 0) else {
            return;
        };
        notifier
            .deliver_video(&self.store, request, facts, language, file_and_url, attempt)
            .await;
    }

    /// With remote storage the local file was only a working copy: removed once
    /// the upload failed (a retry downloads it again), the user has it, or the
    /// request was cancelled. When the lease was lost it stays, as with local
    /// storage: the request's new owner may be writing the same path on a shared
    /// volume.
    pub(super) async fn discard_working_copy(&self, file: &Path) {
        if self.results.is_remote()
            && let Err(error) = tokio::fs::remove_file(file).await
            && error.kind() != std::io::ErrorKind::NotFound
        {
            warn!(%error, "cannot remove the local copy of the uploaded video");
        }
    }

    /// A job that panicked gives its request back as a retryable failure would:
    /// retried later, or failed (refunded, the user told) once the attempts are
    /// used up. Its saved task is resumed on the retry.
    /// The request is read again here, on this rare path, rather than kept
    /// for every job.
    pub(super) async fn after_panic(
        &self,
        claimed: Claimed,
        language: Language,
        panic: String,
    ) -> JobEnd {
        tracing::error!(
            request.id = claimed.request_id,
            panic = %panic,
            "job panicked; giving its request back"
        );
        let request = match self.store.request(claimed.request_id).await {
            Ok(Some(request)) => request,
            Ok(None) => return JobEnd::Dropped,
            Err(error) => {
                warn!(%error, "cannot read the request back; its lease will expire");
                return JobEnd::Dropped;
            }
        };
        let error = ProviderError::retryable(internal_error());
        self.handle_error(claimed, &request, language, error).await
    }

    pub(super) async fn handle_error(
        &self,
        claimed: Claimed,
        request: &GenRequest,
        language: Language,
        error: ProviderError,
    ) -> JobEnd {
        match error {
            ProviderError::Fatal(message) => {
                self.fail(claimed, request, language, message, FailureReason::Provider)
                    .await
            }
            ProviderError::TaskFailed(message) => {
                self.fail(
                    claimed,
                    request,
                    language,
                    message,
                    FailureReason::TaskFailed,
                )
                .await
            }
            ProviderError::Unauthorized(message) => self.pause(claimed, message.en).await,
            ProviderError::Retryable {
                message,
                after,
                rate_limited: true,
            } => {
                info!(error = %message, "rate limited; waiting without using an attempt");
                let wait = after
                    .unwrap_or(self.settings.retry_base)
                    .min(MAX_RETRY_WAIT);
                match self
                    .store
                    .release(claimed.request_id, claimed.attempt, wait, None)
                    .await
                {
                    Ok(_) => JobEnd::Retrying { rate_limited: true },
                    Err(error) => {
                        warn!(%error, "cannot release the lease; it will expire");
                        JobEnd::Retrying { rate_limited: true }
                    }
                }
            }
            ProviderError::Retryable { message, after, .. } => {
                if claimed.failures + 1
                    >= i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX)
                {
                    warn!(error = %message, attempts = claimed.failures + 1, "retries used up");
                    self.fail(
                        claimed,
                        request,
                        language,
                        message,
                        FailureReason::RetriesExhausted,
                    )
                    .await
                } else {
                    self.retry(claimed, message.ru, after).await
                }
            }
        }
    }

    /// Puts the request back in the queue, unrefunded and no attempt used: the
    /// provider refused genworker's credentials (the circuit opens on this end).
    async fn pause(&self, claimed: Claimed, message: String) -> JobEnd {
        info!(error = %message, "credentials refused; the request goes back to the queue unrefunded");
        match self.store.pause(claimed.request_id, claimed.attempt).await {
            Ok(true) => {}
            Ok(false) => info!("the request is no longer ours; nothing to put back"),
            Err(error) => warn!(%error, "cannot put the request back; its lease will expire"),
        }
        JobEnd::Paused { message }
    }

    /// After a refused write: a request no longer processing (cancelled, or set
    /// back to `queued`) is let go for good, as when the heartbeat sees it first;
    /// a lost lease belongs to another worker, so nothing is touched.
    async fn let_go(&self, claimed: Claimed, refused: Fenced) -> JobEnd {
        if refused != Fenced::NotProcessing {
            return JobEnd::Dropped;
        }
        if let Err(error) = self.store.settle(claimed.request_id, claimed.attempt).await {
            warn!(%error, "cannot let the lease go; it will expire");
        }
        match self.store.request(claimed.request_id).await {
            Ok(Some(request)) if request.status == crate::queue::status::CANCELLED => {
                JobEnd::Cancelled
            }
            _ => JobEnd::Dropped,
        }
    }

    /// Gives the request back with exponential backoff, counting one failure.
    pub(super) async fn retry(
        &self,
        claimed: Claimed,
        message: String,
        after: Option<Duration>,
    ) -> JobEnd {
        let backoff = Backoff {
            base: self.settings.retry_base,
            max: MAX_RETRY_WAIT,
        };
        let wait = after
            .unwrap_or_else(|| backoff.delay(u32::try_from(claimed.failures).unwrap_or(0)))
            .min(MAX_RETRY_WAIT);
        warn!(
            error = %message,
            wait_ms = wait.as_millis() as u64,
            failures = claimed.failures + 1,
            "retryable failure; retrying later"
        );
        if let Err(error) = self
            .store
            .release(claimed.request_id, claimed.attempt, wait, Some(message))
            .await
        {
            warn!(%error, "cannot release the lease; it will expire");
        }
        JobEnd::Retrying {
            rate_limited: false,
        }
    }

    pub(super) async fn fail(
        &self,
        claimed: Claimed,
        request: &GenRequest,
        language: Language,
        message: UserText,
        reason: FailureReason,
    ) -> JobEnd {
        let failure = Failure {
            message: message.clone(),
            notify: self.notifier.is_some() && request.chat_id != 0,
            task_failed: reason == FailureReason::TaskFailed,
        };
        match self
            .store
            .fail(claimed.request_id, claimed.attempt, failure)
            .await
        {
            Ok((Fenced::Applied, refund)) => {
                log_failure(&message, refund.as_ref());
                if let (Some(notifier), true) = (&self.notifier, request.chat_id != 0) {
                    notifier
                        .deliver_error(
                            &self.store,
                            request.id,
                            request.chat_id,
                            language,
                            message.for_language(language),
                            claimed.attempt,
                        )
                        .await;
                }
                JobEnd::Failed {
                    reason,
                    refunded: matches!(refund, Some(RefundOutcome::Refunded { .. })),
                }
            }
            Ok((other, _)) => {
                info!(
                    outcome = other.label(),
                    "failure not written: the request is no longer ours"
                );
                self.let_go(claimed, other).await
            }
            Err(error) => self.retry(claimed, error.to_string(), None).await,
        }
    }
}

/// One line per failed request: the error, and the refund as plain fields.
fn log_failure(message: &UserText, refund: Option<&RefundOutcome>) {
    match refund {
        Some(RefundOutcome::Refunded {
            transaction_id,
            amount,
        }) => info!(
            error = %message,
            refund = "refunded",
            refund.transaction_id = *transaction_id,
            refund.amount = %amount,
            "request failed"
        ),
        Some(RefundOutcome::InvalidCharge(reason)) => warn!(
            error = %message,
            refund = "invalid_charge",
            refund.reason = %reason,
            "request failed without a refund"
        ),
        Some(outcome) => info!(error = %message, refund = outcome.label(), "request failed"),
        None => info!(error = %message, "request failed"),
    }
}
