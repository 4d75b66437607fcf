//! The shared runner: everything about a provider task that is not the
//! provider's own knowledge, the same for every provider. It resumes a saved
//! task or one the provider finds by its key, or fetches the input image and
//! submits a new task; it saves the task id the moment it exists, polls at the
//! provider's interval until its timeout, stores the video (downloaded or
//! decoded) and builds the metadata.

mod store;
mod wait;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use tracing::info;

use super::{
    Answer, GenerationJob, InputImage, ProviderError, SetupError, Submitted, TaskState,
    VideoProvider, VideoResult, VideoSource,
};
use crate::download::Downloader;
use crate::net::AddressPolicy;

/// Where the runner saves a task id the moment it exists, so that a crash
/// after that point resumes the task instead of paying for a new one.
#[async_trait]
pub trait TaskIds: Send + Sync {
    /// Persists the task id.
    async fn save(&self, task_id: &str) -> Result<(), SaveError>;
}

/// Why a task id was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The request is no longer this attempt's, or no longer processing
    /// (fenced out): the fence's verdict.
    #[error("the task id was refused: {}", .0.label())]
    LeaseLost(crate::queue::Fenced),
    /// The database refused the write, repeatedly.
    #[error("cannot save the task id: {0}")]
    Database(#[source] crate::db::DbError),
}

/// Where an image2video request's input image comes from, asked only when a
/// task must be submitted.
#[async_trait]
pub trait ImageSource: Send + Sync {
    /// The image, or `None` for a text2video request.
    async fn fetch(&self) -> Result<Option<InputImage>, ProviderError>;
}

#[async_trait]
impl ImageSource for Option<InputImage> {
    async fn fetch(&self) -> Result<Option<InputImage>, ProviderError> {
        Ok(self.clone())
    }
}

/// Why a run produced no video.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The provider (or the download of its video) failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The input image could not be fetched; nothing was submitted.
    #[error("the input image: {0}")]
    Image(ProviderError),
    /// A task exists but its id could not be saved.
    #[error("task id not saved: {0}")]
    NotSaved(#[from] SaveError),
}

/// One provider, the downloader its videos go through, and the wake-ups of the
/// tasks it waits for (a provider's callback wakes one).
pub struct Runner {
    provider: Arc<dyn VideoProvider>,
    downloader: Downloader,
    waiting: wait::Waiting,
}

impl Runner {
    /// A runner for `provider`, downloading under `policy` and the provider's limits.
    pub fn new(
        provider: Arc<dyn VideoProvider>,
        policy: AddressPolicy,
    ) -> Result<Self, SetupError> {
        let limits = provider.limits();
        let downloader = Downloader::new(policy, limits.max_video_bytes, limits.download_timeout)
            .map_err(SetupError::Downloader)?;
        Ok(Self {
            provider,
            downloader,
            waiting: wait::Waiting::default(),
        })
    }

    /// The provider this runner drives.
    pub fn provider(&self) -> &Arc<dyn VideoProvider> {
        &self.provider
    }

    /// The downloader its videos (and the media requests name by address) go through.
    pub fn downloader(&self) -> &Downloader {
        &self.downloader
    }

    /// Wakes the wait of the task named `task_key` (its provider called back),
    /// so that it asks the provider now; false when no such task waits here.
    pub fn wake(&self, task_key: &str) -> bool {
        self.waiting.wake(task_key)
    }

    /// The provider's name.
    pub fn name(&self) -> &'static str {
        self.provider.name()
    }

    /// Resumes the saved task, or the task the provider finds for this job, or
    /// submits a new one.
    pub async fn run(
        &self,
        job: &GenerationJob,
        saved: Option<&str>,
        image: &dyn ImageSource,
        ids: &dyn TaskIds,
    ) -> Result<VideoResult, RunError> {
        if let Some(task_id) = saved {
            tracing::Span::current().record("provider.task_id", task_id);
            info!("resuming the saved provider task");
            return self.resume(job, task_id).await;
        }
        if let Some(task_id) = self.find_task(job).await? {
            tracing::Span::current().record("provider.task_id", task_id.as_str());
            info!("found the task an earlier attempt created; resuming it");
            ids.save(&task_id).await?;
            return self.resume(job, &task_id).await;
        }
        self.generate(job, image, ids).await
    }

    /// Fetches the input image, submits a task, saves its id, waits for it and
    /// stores the video.
    pub async fn generate(
        &self,
        job: &GenerationJob,
        image: &dyn ImageSource,
        ids: &dyn TaskIds,
    ) -> Result<VideoResult, RunError> {
        let submitted = {
            let image = image.fetch().await.map_err(RunError::Image)?;
            self.provider.submit(job, image.as_ref()).await?
        };
        let Submitted {
            task_id,
            answer,
            metadata: submitted,
        } = submitted;
        tracing::Span::current().record("provider.task_id", task_id.as_str());
        ids.save(&task_id).await?;
        info!(provider.task_id = %task_id, provider = self.provider.name(), "provider task created");
        let Answer { state, response } = answer?;
        let (video, last) = match state {
            TaskState::Succeeded(video) => (video, response.clone()),
            TaskState::Pending | TaskState::Failed(_) => self.wait(job, &task_id).await?,
        };
        let exchange = Exchange {
            created: &response,
            submitted,
            last: &last,
        };
        Ok(self.finish(job, &task_id, video, exchange).await?)
    }

    /// Waits for an existing task (created by an earlier attempt) and stores
    /// the video; the task may have finished while nobody watched, so it looks
    /// before waiting.
    pub async fn resume(
        &self,
        job: &GenerationJob,
        task_id: &str,
    ) -> Result<VideoResult, RunError> {
        let current = self.provider.poll(job, task_id).await?;
        let (video, last) = match current.state {
            TaskState::Succeeded(video) => (video, current.response),
            TaskState::Failed(message) => return Err(ProviderError::TaskFailed(message).into()),
            TaskState::Pending => self.wait(job, task_id).await?,
        };
        let exchange = Exchange {
            created: &Value::Null,
            submitted: Map::new(),
            last: &last,
        };
        Ok(self.finish(job, task_id, video, exchange).await?)
    }

    /// The task an earlier attempt created for this job, if the provider can tell.
    pub async fn find_task(&self, job: &GenerationJob) -> Result<Option<String>, ProviderError> {
        self.provider.find_task(job).await
    }

    /// Stores the video of a succeeded task and describes the result.
    async fn finish(
        &self,
        job: &GenerationJob,
        task_id: &str,
        video: VideoSource,
        exchange: Exchange<'_>,
    ) -> Result<VideoResult, ProviderError> {
        let stored = store::store(self, job, video).await?;
        let Exchange {
            created,
            submitted,
            last,
        } = exchange;
        let mut metadata = Map::new();
        metadata.insert("provider".into(), json!(self.provider.name()));
        metadata.insert("task_id".into(), json!(task_id));
        metadata.insert("create_response".into(), created.clone());
        metadata.insert("final_response".into(), last.clone());
        metadata.extend(submitted);
        metadata.extend(self.provider.metadata(job, task_id, created, last));
        Ok(VideoResult {
            task_id: task_id.to_owned(),
            file: stored.path,
            size_bytes: stored.size_bytes,
            mime_type: stored.mime_type,
            metadata: Value::Object(metadata),
            reported: self.provider.reported(job, last),
        })
    }
}

/// What was said about a task: the create answer (null for a resumed task),
/// the provider's keys from the submit, and the final answer.
struct Exchange<'a> {
    created: &'a Value,
    submitted: Map<String, Value>,
    last: &'a Value,
}
