//! One claimed request, run to its end: load, check, hand it to its provider's
//! runner (which resumes a saved task, or fetches the image and submits one),
//! write the outcome (fenced), then tell the user.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use super::end::{FailureReason, JobEnd};
use super::image::RequestImage;
use super::notify::{Notifier, Told};
use super::outcome::Shown;
use super::plan::{Plan, Widths, plan};
use super::task_ids::FencedTaskIds;
use super::writes::BatchedWrites;
use crate::catalog::AiModel;
use crate::i18n::UserText;
use crate::message::ChargeFacts;
use crate::provider::{
    GenerationJob, OutputTarget, ProviderError, ProviderRegistry, RunError, Runner, SaveError,
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
    runner: Arc<Runner>,
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
            runner,
            job,
        } = match self.prepare(&request, model, charge, &failed_task) {
            Ok(ready) => ready,
            Err(Refused::Fail(message, reason)) => {
                return self
                    .fail(claimed, &request, language, message, reason)
                    .await;
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
            .call_provider(&runner, &claimed, &request, &plan, &job, &failed_task)
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
            Err(RunError::Image(ProviderError::Fatal(message))) => {
                self.fail(
                    claimed,
                    &request,
                    language,
                    message,
                    FailureReason::InvalidRequest,
                )
                .await
            }
            Err(RunError::Provider(error) | RunError::Image(error)) => {
                self.handle_error(claimed, &request, language, error).await
            }
            Err(RunError::NotSaved(error)) => {
                let error = match error {
                    SaveError::LeaseLost(_) => ProviderError::fatal(error.to_string()),
                    SaveError::Database(_) => ProviderError::retryable(error.to_string()),
                };
                self.handle_error(claimed, &request, language, error).await
            }
        }
    }

    /// Everything a processing request needs before its provider runs, checked
    /// in order: its parameters, its model, its charge, the provider and its mode.
    fn prepare(
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
        let runner = self
            .registry
            .get(&model.provider)
            .ok_or(Refused::Unregistered)?;
        if !runner.provider().supports(plan.kind) {
            let mode = plan.kind.as_str();
            let message = UserText::new(
                format!("Модель не поддерживает режим {mode}."),
                format!("The model does not support {mode}."),
            );
            return Err(Refused::Fail(message, FailureReason::InvalidRequest));
        }
        let job = self.generation_job(request, &model, &plan, failed_task);
        Ok(Ready {
            model,
            plan,
            runner,
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

    fn generation_job(
        &self,
        request: &GenRequest,
        model: &AiModel,
        plan: &Plan,
        failed_task: &FailedTask,
    ) -> GenerationJob {
        GenerationJob {
            task_key: failed_task.next_key(&request.run_code),
            prompt: request.prompt.clone(),
            model_name: if model.api_model_name.is_empty() {
                model.slug.clone()
            } else {
                model.api_model_name.clone()
            },
            kind: plan.kind,
            params: plan.params.clone(),
            output: OutputTarget {
                dir: self.settings.media_root.join("videos"),
                stem: request.run_code.clone(),
            },
        }
    }

    /// Runs the request's task: the saved one, unless the provider reported it
    /// failed (the request was requeued for a new one), else the runner's
    /// choice (a task the provider finds, or a new one).
    async fn call_provider(
        &self,
        runner: &Runner,
        claimed: &Claimed,
        request: &GenRequest,
        plan: &Plan,
        job: &GenerationJob,
        failed_task: &FailedTask,
    ) -> Result<VideoResult, RunError> {
        let saved = if failed_task.is(&request.provider_job_id) {
            info!(
                failed_task = %request.provider_job_id,
                task_key = %job.task_key,
                "the saved task failed before the requeue; creating a new one"
            );
            None
        } else {
            Some(request.provider_job_id.as_str()).filter(|id| !id.is_empty())
        };
        let image = RequestImage {
            notifier: self.notifier.as_ref(),
            image: plan.image.as_ref(),
            downloader: runner.downloader(),
        };
        let ids = FencedTaskIds {
            writes: self.writes.clone(),
            claimed: *claimed,
        };
        runner.run(job, saved, &image, &ids).await
    }
}
