//! One claimed request, run to its end: check it, hand it to its provider's
//! runner (which resumes a saved task, or fetches the image and submits one),
//! then write the outcome through its lease and tell the user.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use super::end::{FailureReason, JobEnd};
use super::failure::JobError;
use super::image::RequestImage;
use super::notify::Notifier;
use super::outcome::Shown;
use super::plan::{Plan, Widths, plan};
use super::task_ids::FencedTaskIds;
use super::writes::BatchedWrites;
use crate::catalog::AiModel;
use crate::i18n::UserText;
use crate::provider::{
    GenerationJob, OutputTarget, ProviderError, ProviderRegistry, RunError, Runner, SaveError,
    VideoResult,
};
use crate::queue::{GenRequest, Job, QueueStore, status};
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
    /// No provider of that name runs here.
    Unregistered,
}

/// A request checked and ready for its provider.
struct Ready {
    model: Arc<AiModel>,
    plan: Plan,
    runner: Arc<Runner>,
    task: GenerationJob,
}

impl JobContext {
    /// Runs a claimed request to its end.
    pub async fn run(self: Arc<Self>, job: Job) -> JobEnd {
        let span = tracing::info_span!(
            "request",
            request.id = job.lease.request_id(),
            request.run_code = %job.request.run_code,
            provider = job.model.as_ref().map_or("", |m| m.provider.as_str()),
            provider.task_id = tracing::field::Empty,
        );
        tracing::Instrument::instrument(self.process(job), span).await
    }

    /// The notifier, when the request's user can be told (it has a chat).
    pub(super) fn notifier_for(&self, request: &GenRequest) -> Option<&Notifier> {
        self.notifier.as_ref().filter(|_| request.chat_id != 0)
    }

    async fn process(&self, job: Job) -> JobEnd {
        match job.request.status.as_str() {
            status::PROCESSING => {}
            status::DONE | status::ERROR => return self.redeliver(&job).await,
            _ => return JobEnd::Dropped,
        }
        let Ready {
            model,
            plan,
            runner,
            task,
        } = match self.prepare(&job) {
            Ok(ready) => ready,
            Err(Refused::Fail(message, reason)) => return self.fail(&job, message, reason).await,
            Err(Refused::Unregistered) => {
                // Claims only take registered providers; give it back at once if that changed.
                if let Err(error) = job.lease.release(Duration::ZERO, None).await {
                    warn!(%error, "cannot release the lease; it will expire");
                }
                return JobEnd::Dropped;
            }
        };
        let error = match self.call_provider(&runner, &job, &plan, &task).await {
            Ok(video) => {
                let shown = Shown {
                    model: &model,
                    plan: &plan,
                };
                return self.succeed(&job, shown, video).await;
            }
            Err(RunError::Image(ProviderError::Fatal(message))) => {
                return self
                    .fail(&job, message, FailureReason::InvalidRequest)
                    .await;
            }
            Err(RunError::Provider(error) | RunError::Image(error)) => JobError::Provider(error),
            Err(RunError::NotSaved(SaveError::LeaseLost(refused))) => JobError::LostLease(refused),
            Err(RunError::NotSaved(error @ SaveError::Database(_))) => {
                JobError::Database(error.to_string())
            }
        };
        self.end_with(&job, error).await
    }

    /// Everything a processing request needs before its provider runs, checked
    /// in order: its parameters, its model, its charge, the provider and its mode.
    fn prepare(&self, job: &Job) -> Result<Ready, Refused> {
        let Some(model) = job.model.clone() else {
            let message = UserText::new(
                "Модель генерации не найдена: у запроса не указана модель.",
                "Generation model not found: the request names no model.",
            );
            return Err(Refused::Fail(message, FailureReason::InvalidRequest));
        };
        let plan = plan(&job.request, &model, self.widths)
            .map_err(|message| Refused::Fail(message, FailureReason::InvalidRequest))?;
        if let Some(reason) = &job.charge.unrefundable {
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
        let task = self.generation_job(job, &model, &plan);
        Ok(Ready {
            model,
            plan,
            runner,
            task,
        })
    }

    fn generation_job(&self, job: &Job, model: &AiModel, plan: &Plan) -> GenerationJob {
        let request = &job.request;
        GenerationJob {
            task_key: job.earlier.failed_task.next_key(&request.run_code),
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
        job: &Job,
        plan: &Plan,
        task: &GenerationJob,
    ) -> Result<VideoResult, RunError> {
        let saved_id = &job.request.provider_job_id;
        let saved = if job.earlier.failed_task.is(saved_id) {
            info!(
                failed_task = %saved_id,
                task_key = %task.task_key,
                "the saved task failed before the requeue; creating a new one"
            );
            None
        } else {
            Some(saved_id.as_str()).filter(|id| !id.is_empty())
        };
        let image = RequestImage {
            notifier: self.notifier.as_ref(),
            image: plan.image.as_ref(),
            downloader: runner.downloader(),
        };
        let ids = FencedTaskIds {
            writes: &self.writes,
            lease: &job.lease,
        };
        runner.run(task, saved, &image, &ids).await
    }
}
