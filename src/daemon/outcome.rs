//! Writing how a job ended through its lease: the video, a failure (with its
//! refund), or a retry later; then the delivery step tells the user.

use std::path::Path;
use std::time::Duration;

use tracing::{info, warn};

use super::end::{FailureReason, JobEnd};
use super::failure::JobError;
use super::job::{JobContext, MAX_RETRY_WAIT};
use super::notify::{Tell, video_facts};
use super::plan::Plan;
use crate::catalog::AiModel;
use crate::i18n::{Language, UserText};
use crate::net::Backoff;
use crate::provider::{ProviderError, VideoResult};
use crate::queue::{
    Charge, Earlier, Failure, Fenced, Job, Lease, RefundOutcome, Success, kept_seconds, kept_text,
};
use crate::storage::StorageError;

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
}

impl JobContext {
    pub(super) async fn succeed(&self, job: &Job, shown: Shown<'_>, video: VideoResult) -> JobEnd {
        let request = &job.request;
        let stored = shown.plan.finished(&video.reported, self.widths);
        let result_url = match self.publish(&video).await {
            Ok(url) => url,
            Err(error) => return self.end_with(job, JobError::Storage(error)).await,
        };
        let notify = self.notifier_for(request).is_some();
        let success = Success {
            result_url: result_url.clone(),
            file_size: video.size_bytes,
            duration: stored.duration,
            video_resolution: stored.resolution.clone(),
            aspect_ratio: stored.aspect_ratio.clone(),
            provider_job_id: video.task_id.clone(),
            provider_metadata: video.metadata.clone(),
            notify,
        };
        match self.writes.complete(job.lease.completion(success)).await {
            Ok(Fenced::Applied) => {
                info!(bytes = video.size_bytes, "request done");
                if notify {
                    // What the row now says, as a redelivery would read it.
                    let values = (
                        kept_seconds(stored.duration, request.duration),
                        kept_text(&stored.resolution, &request.video_resolution),
                        kept_text(&stored.aspect_ratio, &request.aspect_ratio),
                    );
                    let what = Tell::Video {
                        facts: video_facts(request, shown.model, job.charge.facts.as_ref(), values),
                        file: Some(video.file.clone()),
                        url: &result_url,
                    };
                    self.deliver(job, Some(what)).await;
                }
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
                self.let_go(&job.lease, other).await
            }
            Err(error) => self.retry(&job.lease, error.to_string(), None).await,
        }
    }

    /// Hands the finished video to the result store; a failure drops the local
    /// copy (a retry resumes the task and downloads it again).
    async fn publish(&self, video: &VideoResult) -> Result<String, StorageError> {
        match self.results.publish(&video.file, &video.mime_type).await {
            Ok(url) => {
                if self.results.is_remote() {
                    info!(%url, bytes = video.size_bytes, "video uploaded");
                }
                Ok(url)
            }
            Err(error) => {
                self.discard_working_copy(&video.file).await;
                Err(error)
            }
        }
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
        lease: Lease,
        language: Language,
        panic: String,
    ) -> JobEnd {
        tracing::error!(
            request.id = lease.request_id(),
            panic = %panic,
            "job panicked; giving its request back"
        );
        let request = match self.store.request(lease.request_id()).await {
            Ok(Some(request)) => request,
            Ok(None) => return JobEnd::Dropped,
            Err(error) => {
                warn!(%error, "cannot read the request back; its lease will expire");
                return JobEnd::Dropped;
            }
        };
        let job = Job {
            lease,
            request,
            model: None,
            language,
            charge: Charge::default(),
            earlier: Earlier::default(),
        };
        let error = ProviderError::retryable(internal_error());
        self.handle_error(&job, error).await
    }

    pub(super) async fn handle_error(&self, job: &Job, error: ProviderError) -> JobEnd {
        match error {
            ProviderError::Fatal(message) => self.fail(job, message, FailureReason::Provider).await,
            ProviderError::TaskFailed(message) => {
                self.fail(job, message, FailureReason::TaskFailed).await
            }
            ProviderError::Unauthorized(message) => self.pause(&job.lease, message.en).await,
            ProviderError::Retryable {
                message,
                after,
                rate_limited: true,
            } => {
                info!(error = %message, "rate limited; waiting without using an attempt");
                let wait = after
                    .unwrap_or(self.settings.retry_base)
                    .min(MAX_RETRY_WAIT);
                if let Err(error) = job.lease.release(wait, None).await {
                    warn!(%error, "cannot release the lease; it will expire");
                }
                JobEnd::Retrying { rate_limited: true }
            }
            ProviderError::Retryable { message, after, .. } => {
                let failures = job.lease.failures() + 1;
                if failures >= i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX) {
                    warn!(error = %message, attempts = failures, "retries used up");
                    self.fail(job, message, FailureReason::RetriesExhausted)
                        .await
                } else {
                    self.retry(&job.lease, message.ru, after).await
                }
            }
        }
    }

    /// Puts the request back in the queue, unrefunded and no attempt used: the
    /// provider refused genworker's credentials (the circuit opens on this end).
    async fn pause(&self, lease: &Lease, message: String) -> JobEnd {
        info!(error = %message, "credentials refused; the request goes back to the queue unrefunded");
        match lease.pause().await {
            Ok(true) => {}
            Ok(false) => info!("the request is no longer ours; nothing to put back"),
            Err(error) => warn!(%error, "cannot put the request back; its lease will expire"),
        }
        JobEnd::Paused { message }
    }

    /// After a refused write: a request no longer processing (cancelled, or set
    /// back to `queued`) is let go for good, as when the heartbeat sees it first;
    /// a lost lease belongs to another worker, so nothing is touched.
    pub(super) async fn let_go(&self, lease: &Lease, refused: Fenced) -> JobEnd {
        if refused != Fenced::NotProcessing {
            return JobEnd::Dropped;
        }
        if let Err(error) = lease.settle().await {
            warn!(%error, "cannot let the lease go; it will expire");
        }
        match self.store.request(lease.request_id()).await {
            Ok(Some(request)) if request.status == crate::queue::status::CANCELLED => {
                JobEnd::Cancelled
            }
            _ => JobEnd::Dropped,
        }
    }

    /// Gives the request back with exponential backoff, counting one failure.
    async fn retry(&self, lease: &Lease, message: String, after: Option<Duration>) -> JobEnd {
        let backoff = Backoff {
            base: self.settings.retry_base,
            max: MAX_RETRY_WAIT,
        };
        let failures = lease.failures();
        let wait = after
            .unwrap_or_else(|| backoff.delay(u32::try_from(failures).unwrap_or(0)))
            .min(MAX_RETRY_WAIT);
        warn!(
            error = %message,
            wait_ms = wait.as_millis() as u64,
            failures = failures + 1,
            "retryable failure; retrying later"
        );
        if let Err(error) = lease.release(wait, Some(message)).await {
            warn!(%error, "cannot release the lease; it will expire");
        }
        JobEnd::Retrying {
            rate_limited: false,
        }
    }

    pub(super) async fn fail(&self, job: &Job, message: UserText, reason: FailureReason) -> JobEnd {
        let notify = self.notifier_for(&job.request).is_some();
        let failure = Failure {
            message: message.clone(),
            notify,
            task_failed: reason == FailureReason::TaskFailed,
        };
        match job.lease.fail(failure).await {
            Ok((Fenced::Applied, refund)) => {
                log_failure(&message, refund.as_ref());
                if notify {
                    let text = message.for_language(job.language);
                    self.deliver(job, Some(Tell::Failure(text))).await;
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
                self.let_go(&job.lease, other).await
            }
            Err(error) => self.retry(&job.lease, error.to_string(), None).await,
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
