//! One claimed request, run to its end: load, check, fetch the image, run or
//! resume the provider task, write the outcome (fenced), then tell the user.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use super::end::{FailureReason, JobEnd};
use super::notify::{Notifier, Told};
use super::outcome::Shown;
use super::plan::{Plan, Widths, plan};
use super::sink::FencedSink;
use super::writes::BatchedWrites;
use crate::catalog::AiModel;
use crate::i18n::UserText;
use crate::message::ChargeFacts;
use crate::provider::{
    GenerationJob, OutputTarget, ProviderError, ProviderRegistry, TaskSink, VideoProvider,
    VideoResult,
};
use crate::queue::{Claimed, ClaimedJob, FailedTask, GenRequest, QueueStore, status};
use crate::settings::DaemonSettings;
use crate::storage::ResultStore;

/// Longest wait between retries.
pub(super) const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);

/// What every job shares.
pub struct JobContext {
    /// The queue.
    pub store: QueueStore,
    /// Task ids and finished videos, committed in batches.
    pub(super) writes: BatchedWrites,
    /// The providers.
    pub registry: ProviderRegistry,
    /// Telegram, when configured.
    pub notifier: Option<Notifier>,
    /// Where finished videos go (`MEDIA_ROOT`, or an S3 bucket).
    pub results: Arc<dyn ResultStore>,
    /// Daemon settings (media, retries).
    pub settings: DaemonSettings,
    /// What the request columns a plan's texts go into hold.
    pub(super) widths: Widths,
}

/// Why a claimed request does not reach its provider.
enum Refused {
    /// It fails for good.
    Fail(UserText, FailureReason),
    /// Something it needs failed in a way a retry may fix.
    Retry(ProviderError),
    /// Its model is gone: nothing to run it with (the plan already failed it
    /// when the request named none).
    NoModel,
    /// No provider of that name runs here.
    Unregistered,
}

/// A request checked and ready for its provider.
struct Ready {
    model: Arc<AiModel>,
    plan: Plan,
    provider: Arc<dyn VideoProvider>,
    job: GenerationJob,
}

impl JobContext {
    /// Runs a claimed request to its end.
    pub async fn run(self: Arc<Self>, job: ClaimedJob) -> JobEnd {
        let span = tracing::info_span!(
            "request",
            request.id = job.claimed.request_id,
            request.run_code = %job.request.run_code,
            provider = job.model.as_ref().map_or("", |m| m.provider.as_str()),
            provider.task_id = tracing::field::Empty,
        );
        tracing::Instrument::instrument(self.process(job), span).await
    }

    async fn process(&self, job: ClaimedJob) -> JobEnd {
        let ClaimedJob {
            claimed,
            request,
            model,
            charge,
            charged,
            language,
            error_message_en,
            failed_task,
        } = job;
        match request.status.as_str() {
            status::PROCESSING => {}
            status::DONE | status::ERROR => {
                let told = Told {
                    language,
                    error_en: &error_message_en,
                };
                return self
                    .redeliver(claimed, &request, model.as_deref(), charged.as_ref(), told)
                    .await;
            }
            _ => return JobEnd::Dropped,
        }
        let Ready {
            model,
            plan,
            provider,
            job,
        } = match self.prepare(&request, model, charge, &failed_task).await {
            Ok(ready) => ready,
            Err(Refused::Fail(message, reason)) => {
                return self
                    .fail(claimed, &request, language, message, reason)
                    .await;
            }
            Err(Refused::Retry(error)) => {
                return self.handle_error(claimed, &request, language, error).await;
            }
            Err(Refused::NoModel) => return JobEnd::Dropped,
            Err(Refused::Unregistered) => {
                // Claims only take registered providers; give it back at once if that changed.
                if let Err(error) = self
                    .store
                    .release(claimed.request_id, claimed.attempt, Duration::ZERO, None)
                    .await
                {
                    warn!(%error, "cannot release the lease; it will expire");
                }
                return JobEnd::Dropped;
            }
        };
        match self
            .call_provider(provider.as_ref(), &claimed, &request, &job, &failed_task)
            .await
        {
            Ok(video) => {
                let shown = Shown {
                    model: &model,
                    plan: &plan,
                    charged: charged.as_ref(),
                };
                self.succeed(claimed, &request, language, shown, video)
                    .await
            }
            Err(error) => self.handle_error(claimed, &request, language, error).await,
        }
    }

    /// Everything a processing request needs before its provider runs, checked
    /// in order: its parameters, its model, its charge, the provider and its
    /// mode, then its input image.
    async fn prepare(
        &self,
        request: &GenRequest,
        model: Option<Arc<AiModel>>,
        charge: Result<(), String>,
        failed_task: &FailedTask,
    ) -> Result<Ready, Refused> {
        let plan = plan(request, model.as_deref(), self.widths)
            .map_err(|message| Refused::Fail(message, FailureReason::InvalidRequest))?;
        let model = model.ok_or(Refused::NoModel)?;
        if let Err(reason) = charge {
            warn!(%reason, "the charge cannot be refunded; failing the request without a refund");
            let message = UserText::new(
                "Некорректная транзакция оплаты запроса.",
                "The request's payment transaction is invalid.",
            );
            return Err(Refused::Fail(message, FailureReason::InvalidCharge));
        }
        let provider = self
            .registry
            .get(&model.provider)
            .ok_or(Refused::Unregistered)?;
        if !provider.supports(plan.kind) {
            let mode = plan.kind.as_str();
            let message = UserText::new(
                format!("Модель не поддерживает режим {mode}."),
                format!("The model does not support {mode}."),
            );
            return Err(Refused::Fail(message, FailureReason::InvalidRequest));
        }
        let job = match self
            .generation_job(request, &model, &plan, failed_task)
            .await
        {
            Ok(job) => job,
            Err(ProviderError::Fatal(message)) => {
                return Err(Refused::Fail(message, FailureReason::InvalidRequest));
            }
            Err(error) => return Err(Refused::Retry(error)),
        };
        Ok(Ready {
            model,
            plan,
            provider,
            job,
        })
    }

    /// Tells the user about a request an earlier claim finished (it died before
    /// telling them), then drops S3's local working copy like a fresh success does.
    async fn redeliver(
        &self,
        claimed: Claimed,
        request: &GenRequest,
        model: Option<&AiModel>,
        charged: Option<&ChargeFacts>,
        told: Told<'_>,
    ) -> JobEnd {
        match (&self.notifier, model) {
            (Some(notifier), Some(model)) => {
                notifier
                    .deliver(
                        &self.store,
                        request,
                        (model, charged),
                        told,
                        claimed.attempt,
                    )
                    .await;
                if request.status == status::DONE
                    && let Some(file) = notifier.local_copy(request)
                {
                    self.discard_working_copy(&file).await;
                }
            }
            _ => {
                if let Err(error) = self.store.settle(request.id, claimed.attempt).await {
                    warn!(%error, "cannot record the delivery");
                }
            }
        }
        JobEnd::Dropped
    }

    async fn generation_job(
        &self,
        request: &GenRequest,
        model: &AiModel,
        plan: &Plan,
        failed_task: &FailedTask,
    ) -> Result<GenerationJob, ProviderError> {
        let image = match &plan.image_file_id {
            None => None,
            Some(file_id) => {
                let notifier = self.notifier.as_ref().ok_or_else(|| {
                    ProviderError::fatal(UserText::new(
                        "Изображение недоступно: Telegram не настроен (TELEGRAM_BOT_TOKEN).",
                        "The image is unavailable: Telegram is not configured (TELEGRAM_BOT_TOKEN).",
                    ))
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
            task_key: failed_task.next_key(&request.run_code),
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

    /// Resumes a saved task, or one found by the provider, or creates one. A
    /// saved task the provider reported failed is not resumed: the request was
    /// requeued for a new one.
    async fn call_provider(
        &self,
        provider: &dyn VideoProvider,
        claimed: &Claimed,
        request: &GenRequest,
        job: &GenerationJob,
        failed_task: &FailedTask,
    ) -> Result<VideoResult, ProviderError> {
        let sink = FencedSink {
            writes: self.writes.clone(),
            claimed: *claimed,
        };
        if failed_task.is(&request.provider_job_id) {
            info!(
                failed_task = %request.provider_job_id,
                task_key = %job.task_key,
                "the saved task failed before the requeue; creating a new one"
            );
        } else if !request.provider_job_id.is_empty() {
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
}
