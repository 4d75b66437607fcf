//! One claimed request, run to its end: load, check, fetch the image, run or
//! resume the provider task, write the outcome (fenced), then tell the user.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::{info, warn};

use super::notify::Notifier;
use super::plan::{Plan, plan};
use crate::catalog::AiModel;
use crate::net::Backoff;
use crate::provider::{
    GenerationJob, OutputTarget, ProviderError, ProviderRegistry, TaskSink, VideoProvider,
    VideoResult,
};
use crate::queue::{
    Claimed, Failure, Fenced, GenRequest, QueueStore, RefundOutcome, Success, status,
};
use crate::settings::DaemonSettings;

/// Tries to save a new task id before giving up.
const SAVE_ATTEMPTS: u32 = 5;
/// Longest wait between retries.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);

/// What every job shares.
pub struct JobContext {
    /// The queue.
    pub store: QueueStore,
    /// The providers.
    pub registry: ProviderRegistry,
    /// Telegram, when configured.
    pub notifier: Option<Notifier>,
    /// Daemon settings (media, retries).
    pub settings: DaemonSettings,
}

/// How a job ended, for the runner's bookkeeping and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// The video was stored and the request is done.
    Done,
    /// The request failed (refunded when it was charged).
    Failed,
    /// Given back to the queue to retry later.
    Retrying,
    /// Nothing written: another worker owns it now, or it was cancelled.
    Dropped,
}

impl JobContext {
    /// Runs a claimed request to its end.
    pub async fn run(self: Arc<Self>, claimed: Claimed) -> JobEnd {
        let id = claimed.request_id;
        let loaded = match self.store.load(id).await {
            Ok(Some(loaded)) => loaded,
            Ok(None) => return JobEnd::Dropped,
            Err(error) => {
                warn!(request.id = id, %error, "cannot load request; retrying later");
                return self.retry(claimed, error.to_string(), None).await;
            }
        };
        let (request, model) = loaded;
        let span = tracing::info_span!(
            "request",
            request.id = id,
            request.run_code = %request.run_code,
            provider = model.as_ref().map_or("", |m| m.provider.as_str()),
            provider.task_id = tracing::field::Empty,
        );
        tracing::Instrument::instrument(self.process(claimed, request, model), span).await
    }

    async fn process(
        &self,
        claimed: Claimed,
        request: GenRequest,
        model: Option<AiModel>,
    ) -> JobEnd {
        match request.status.as_str() {
            status::PROCESSING => {}
            status::DONE | status::ERROR => {
                // Finished by an earlier claim that died before telling the user.
                match (&self.notifier, &model) {
                    (Some(notifier), Some(model)) => {
                        notifier
                            .deliver(&self.store, &request, model, claimed.attempt)
                            .await;
                    }
                    _ => {
                        if let Err(error) = self.store.settle(request.id, claimed.attempt).await {
                            warn!(%error, "cannot record the delivery");
                        }
                    }
                }
                return JobEnd::Dropped;
            }
            _ => return JobEnd::Dropped,
        }
        let plan = match plan(&request, model.as_ref()) {
            Ok(plan) => plan,
            Err(message) => return self.fail(claimed, &request, message).await,
        };
        let Some(model) = model else {
            return JobEnd::Dropped;
        };
        if let Some(charge) = request.transaction_id {
            match self.store.check_charge(charge).await {
                Ok(Ok(())) => {}
                Ok(Err(reason)) => {
                    warn!(%reason, "the charge cannot be refunded; failing the request without a refund");
                    let message = "Некорректная транзакция оплаты запроса.".to_owned();
                    return self.fail(claimed, &request, message).await;
                }
                Err(error) => return self.retry(claimed, error.to_string(), None).await,
            }
        }
        let Some(provider) = self.registry.get(&model.provider) else {
            // Claims only take registered providers; give it back at once if that changed.
            if let Err(error) = self
                .store
                .release(claimed.request_id, claimed.attempt, Duration::ZERO, None)
                .await
            {
                warn!(%error, "cannot release the lease; it will expire");
            }
            return JobEnd::Dropped;
        };
        if !provider.supports(plan.kind) {
            let message = format!("Модель не поддерживает режим {}.", plan.kind.as_str());
            return self.fail(claimed, &request, message).await;
        }
        let job = match self.generation_job(&request, &model, &plan).await {
            Ok(job) => job,
            Err(ProviderError::Fatal(message)) => {
                return self.fail(claimed, &request, message).await;
            }
            Err(error) => return self.handle_error(claimed, &request, error).await,
        };
        match self
            .call_provider(provider.as_ref(), &claimed, &request, &job)
            .await
        {
            Ok(video) => self.succeed(claimed, &request, &model, &plan, video).await,
            Err(error) => self.handle_error(claimed, &request, error).await,
        }
    }

    async fn generation_job(
        &self,
        request: &GenRequest,
        model: &AiModel,
        plan: &Plan,
    ) -> Result<GenerationJob, ProviderError> {
        let image = match &plan.image_file_id {
            None => None,
            Some(file_id) => {
                let notifier = self.notifier.as_ref().ok_or_else(|| {
                    ProviderError::fatal(
                        "Изображение недоступно: Telegram не настроен (TELEGRAM_BOT_TOKEN).",
                    )
                })?;
                Some(
                    notifier
                        .client()
                        .download_image(file_id)
                        .await
                        .map_err(|error| {
                            if error.is_retryable() {
                                ProviderError::retryable(error.image_message())
                            } else {
                                ProviderError::Fatal(error.image_message())
                            }
                        })?,
                )
            }
        };
        Ok(GenerationJob {
            run_code: request.run_code.clone(),
            prompt: request.prompt.clone(),
            model_name: if model.api_model_name.is_empty() {
                model.slug.clone()
            } else {
                model.api_model_name.clone()
            },
            kind: plan.kind,
            params: plan.params.clone(),
            image,
            output: OutputTarget {
                dir: self.settings.media_root.join("videos"),
                stem: request.run_code.clone(),
            },
        })
    }

    /// Resumes a saved task, or one found by the provider, or creates one.
    async fn call_provider(
        &self,
        provider: &dyn VideoProvider,
        claimed: &Claimed,
        request: &GenRequest,
        job: &GenerationJob,
    ) -> Result<VideoResult, ProviderError> {
        let sink = FencedSink {
            store: self.store.clone(),
            claimed: *claimed,
        };
        if !request.provider_job_id.is_empty() {
            tracing::Span::current().record("provider.task_id", request.provider_job_id.as_str());
            info!("resuming the saved provider task");
            return provider.resume(job, &request.provider_job_id).await;
        }
        if let Some(task_id) = provider.find_task(job).await? {
            tracing::Span::current().record("provider.task_id", task_id.as_str());
            info!("found the task an earlier attempt created; resuming it");
            sink.task_created(&task_id).await?;
            return provider.resume(job, &task_id).await;
        }
        provider.generate(job, &sink).await
    }

    async fn succeed(
        &self,
        claimed: Claimed,
        request: &GenRequest,
        model: &AiModel,
        plan: &Plan,
        video: VideoResult,
    ) -> JobEnd {
        let file_name = video
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let success = Success {
            result_url: format!("{}videos/{file_name}", self.settings.media_url),
            file_size: video.size_bytes,
            duration: plan.duration,
            video_resolution: plan.resolution.clone(),
            aspect_ratio: plan.aspect_ratio.clone(),
            provider_job_id: video.task_id.clone(),
            provider_metadata: video.metadata.clone(),
            notify: self.notifier.is_some() && request.chat_id != 0,
        };
        let url = success.result_url.clone();
        match self
            .store
            .complete(claimed.request_id, claimed.attempt, success)
            .await
        {
            Ok(Fenced::Applied) => {
                info!(bytes = video.size_bytes, "request done");
                if let Some(notifier) = self.notifier.as_ref().filter(|_| request.chat_id != 0) {
                    let caption = super::message::caption(
                        &request.prompt,
                        model,
                        plan.duration,
                        &plan.aspect_ratio,
                        &plan.resolution,
                    );
                    notifier
                        .deliver_video(
                            &self.store,
                            request,
                            &video,
                            &url,
                            &caption,
                            claimed.attempt,
                        )
                        .await;
                }
                JobEnd::Done
            }
            Ok(other) => {
                info!(outcome = ?other, "result not written: the request is no longer ours");
                JobEnd::Dropped
            }
            Err(error) => self.retry(claimed, error.to_string(), None).await,
        }
    }

    async fn handle_error(
        &self,
        claimed: Claimed,
        request: &GenRequest,
        error: ProviderError,
    ) -> JobEnd {
        match error {
            ProviderError::Fatal(message) => self.fail(claimed, request, message).await,
            ProviderError::Retryable {
                message,
                after,
                rate_limited: true,
            } => {
                info!(%message, "rate limited; waiting without using an attempt");
                let wait = after
                    .unwrap_or(self.settings.retry_base)
                    .min(MAX_RETRY_WAIT);
                match self
                    .store
                    .release(claimed.request_id, claimed.attempt, wait, None)
                    .await
                {
                    Ok(_) => JobEnd::Retrying,
                    Err(error) => {
                        warn!(%error, "cannot release the lease; it will expire");
                        JobEnd::Retrying
                    }
                }
            }
            ProviderError::Retryable { message, after, .. } => {
                if claimed.failures + 1
                    >= i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX)
                {
                    warn!(%message, attempts = claimed.failures + 1, "retries used up");
                    self.fail(claimed, request, message).await
                } else {
                    self.retry(claimed, message, after).await
                }
            }
        }
    }

    /// Gives the request back with exponential backoff, counting one failure.
    async fn retry(&self, claimed: Claimed, message: String, after: Option<Duration>) -> JobEnd {
        let backoff = Backoff {
            base: self.settings.retry_base,
            max: MAX_RETRY_WAIT,
        };
        let wait = after
            .unwrap_or_else(|| backoff.delay(u32::try_from(claimed.failures).unwrap_or(0)))
            .min(MAX_RETRY_WAIT);
        warn!(%message, wait_ms = wait.as_millis() as u64, failures = claimed.failures + 1, "retryable failure; retrying later");
        if let Err(error) = self
            .store
            .release(claimed.request_id, claimed.attempt, wait, Some(message))
            .await
        {
            warn!(%error, "cannot release the lease; it will expire");
        }
        JobEnd::Retrying
    }

    async fn fail(&self, claimed: Claimed, request: &GenRequest, message: String) -> JobEnd {
        let failure = Failure {
            message: message.clone(),
            notify: self.notifier.is_some() && request.chat_id != 0,
        };
        match self
            .store
            .fail(claimed.request_id, claimed.attempt, failure)
            .await
        {
            Ok((Fenced::Applied, refund)) => {
                match &refund {
                    Some(RefundOutcome::InvalidCharge(reason)) => {
                        warn!(%reason, "failed without a refund")
                    }
                    Some(outcome) => info!(refund = ?outcome, %message, "request failed"),
                    None => {}
                }
                if let (Some(notifier), true) = (&self.notifier, request.chat_id != 0) {
                    notifier
                        .deliver_error(
                            &self.store,
                            request.id,
                            request.chat_id,
                            &message,
                            claimed.attempt,
                        )
                        .await;
                }
                JobEnd::Failed
            }
            Ok((other, _)) => {
                info!(outcome = ?other, "failure not written: the request is no longer ours");
                JobEnd::Dropped
            }
            Err(error) => self.retry(claimed, error.to_string(), None).await,
        }
    }
}

/// Saves the provider's task id the moment it exists, fenced on the claim.
struct FencedSink {
    store: QueueStore,
    claimed: Claimed,
}

#[async_trait]
impl TaskSink for FencedSink {
    async fn task_created(&self, task_id: &str) -> Result<(), ProviderError> {
        tracing::Span::current().record("provider.task_id", task_id);
        // A paid task exists now: losing its id means paying again, so insist a little.
        let mut attempt = 0;
        loop {
            match self
                .store
                .save_task_id(self.claimed.request_id, self.claimed.attempt, task_id)
                .await
            {
                Ok(Fenced::Applied) => return Ok(()),
                Ok(other) => {
                    return Err(ProviderError::fatal(format!(
                        "task id not saved: {other:?}"
                    )));
                }
                Err(error) if attempt < SAVE_ATTEMPTS => {
                    warn!(%error, "cannot save the task id yet; trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                }
                Err(error) => {
                    return Err(ProviderError::retryable(format!(
                        "cannot save the task id: {error}"
                    )));
                }
            }
        }
    }
}
