//! Kling (Kuaishou), per ../shared/seed/kling-integration.ru.md, in two API
//! styles ([`generic`], [`official`]; `KLING_API_STYLE`). This module holds what
//! both share: polling with the seed's timeout message, and storing the video.
//! Settings: [`crate::settings::KlingSettings`].

mod api;
mod body;
mod document;
mod fields;
mod generic;
mod jwt;
mod messages;
mod mode;
mod official;

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::download::{DownloadError, Downloader, Stored, store_base64};
use crate::i18n::UserText;
use crate::net::AddressPolicy;
use crate::provider::{
    GenerationJob, GenerationKind, ProviderError, TaskSink, VideoProvider, VideoResult,
};
use crate::settings::{KlingApiStyle, KlingSettings};
use document::Document;
use generic::GenericApi;
use official::OfficialApi;

/// The name models use in `botapp_aimodel.provider`.
pub const NAME: &str = "kling";
/// Failed polls in a row tolerated before the attempt gives up (the task stays resumable).
const MAX_POLL_FAILURES: u32 = 5;
/// Headroom over the video cap for JSON around a base64 video (4/3 of the bytes).
const JSON_OVERHEAD: u64 = 1024 * 1024;

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// Still running.
    Pending,
    /// Finished with a video.
    Succeeded,
    /// Finished without one; the message is for the user.
    Failed(UserText),
}

/// Where a finished task's video is.
#[derive(Debug)]
pub enum VideoSource<'a> {
    /// Base64 text inside the response.
    Base64(&'a [u8]),
    /// A URL to download.
    Url(url::Url),
}

enum Style {
    Generic(GenericApi),
    Official(OfficialApi),
}

/// The Kling provider.
pub struct KlingProvider {
    style: Style,
    downloader: Downloader,
    poll_interval: Duration,
    poll_timeout: Duration,
}

impl KlingProvider {
    /// Builds the provider, or says which required setting is missing.
    pub fn from_settings(settings: &KlingSettings) -> Result<Self, String> {
        let policy = if settings.allow_private_urls {
            AddressPolicy::AllowPrivate
        } else {
            AddressPolicy::PublicOnly
        };
        let client = crate::net::client_builder()
            .timeout(settings.request_timeout)
            .build()
            .map_err(|error| error.to_string())?;
        let max_body = settings.max_video_bytes / 3 * 4 + JSON_OVERHEAD;
        let style = match settings.api_style {
            KlingApiStyle::Generic => Style::Generic(
                GenericApi::new(settings, client, max_body)?.ok_or("KLING_API_KEY is not set")?,
            ),
            KlingApiStyle::Official => Style::Official(
                OfficialApi::new(settings, client, max_body)
                    .ok_or("KLING_API_STYLE=official needs KLING_API_KEY and KLING_API_SECRET")?,
            ),
        };
        let downloader =
            Downloader::new(policy, settings.max_video_bytes, settings.request_timeout)?;
        Ok(Self {
            style,
            downloader,
            poll_interval: settings.poll_interval,
            poll_timeout: settings.poll_timeout,
        })
    }

    fn style_name(&self) -> &'static str {
        match self.style {
            Style::Generic(_) => "generic",
            Style::Official(_) => "official",
        }
    }

    async fn create(&self, job: &GenerationJob) -> Result<(String, Document), ProviderError> {
        match &self.style {
            Style::Generic(api) => api.create(job).await,
            Style::Official(api) => api.create(job).await,
        }
    }

    async fn status(&self, job: &GenerationJob, task_id: &str) -> Result<Document, ProviderError> {
        match &self.style {
            Style::Generic(api) => api.status(task_id).await,
            Style::Official(api) => api.status(job, task_id).await,
        }
    }

    fn state(&self, document: &Document, task_id: &str) -> TaskState {
        match &self.style {
            Style::Generic(_) => generic::state(document, task_id),
            Style::Official(_) => official::state(document, task_id),
        }
    }

    /// Polls every `KLING_POLL_INTERVAL` until a final status or `KLING_POLL_TIMEOUT`.
    async fn wait(&self, job: &GenerationJob, task_id: &str) -> Result<Document, ProviderError> {
        let deadline = Instant::now() + self.poll_timeout;
        let mut failures = 0;
        loop {
            tokio::time::sleep(self.poll_interval).await;
            if Instant::now() >= deadline {
                return Err(ProviderError::fatal(messages::poll_timeout(seconds(
                    self.poll_timeout,
                ))));
            }
            match self.status(job, task_id).await {
                Ok(document) => match self.state(&document, task_id) {
                    TaskState::Pending => failures = 0,
                    TaskState::Succeeded => return Ok(document),
                    TaskState::Failed(message) => return Err(ProviderError::TaskFailed(message)),
                },
                Err(error) if error.is_retryable() && failures + 1 < MAX_POLL_FAILURES => {
                    failures += 1;
                    tracing::warn!(provider.task_id = task_id, error = %error, "Kling poll failed; polling on");
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Stores the video of a finished task and describes the result.
    async fn finish(
        &self,
        job: &GenerationJob,
        task_id: &str,
        created: Option<&Document>,
        last: &Document,
    ) -> Result<VideoResult, ProviderError> {
        let stored = self.store(job, last).await?;
        let created = created.map(|doc| doc.value.clone()).unwrap_or(Value::Null);
        // genworker's keys, then the bot's own Kling provider's (`job`,
        // `initialResponse`, `prompt`, `generationType`) for whatever reads those.
        let metadata = json!({
            "provider": NAME,
            "api_style": self.style_name(),
            "task_id": task_id,
            "create_response": created,
            "final_response": last.value,
            "job": last.value,
            "initialResponse": created,
            "prompt": job.prompt,
            "generationType": job.kind.as_str(),
        });
        Ok(VideoResult {
            task_id: task_id.to_owned(),
            file: stored.path,
            size_bytes: stored.size_bytes,
            mime_type: stored.mime_type,
            metadata,
        })
    }

    async fn store(
        &self,
        job: &GenerationJob,
        document: &Document,
    ) -> Result<Stored, ProviderError> {
        let (source, credentials) = match &self.style {
            Style::Generic(api) => (generic::video(document), api.credentials()),
            Style::Official(api) => (official::video(document), api.credentials()?),
        };
        let missing = || ProviderError::fatal(messages::no_video());
        let url = match source.ok_or_else(missing)? {
            VideoSource::Url(url) => url,
            VideoSource::Base64(data) => {
                match store_base64(data, &job.output, self.downloader.max_bytes()).await {
                    Err(DownloadError::InvalidBase64(reason)) => {
                        tracing::warn!(%reason, "Kling base64 field is not a video; looking for a URL");
                        fields::video_url(&document.value).ok_or_else(missing)?
                    }
                    other => return other.map_err(|error| self.download_error(error)),
                }
            }
        };
        self.downloader
            .fetch(&url, Some(&credentials), &job.output)
            .await
            .map_err(|error| self.download_error(error))
    }

    fn download_error(&self, error: DownloadError) -> ProviderError {
        match error {
            DownloadError::TooLarge { .. } => api::too_large(self.downloader.max_bytes()),
            other if other.is_retryable() => {
                ProviderError::retryable(messages::download_failed(other))
            }
            other => ProviderError::fatal(messages::download_failed(other)),
        }
    }
}

/// `720`, or `0.5` for fractions.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{}", secs as u64)
    } else {
        format!("{secs}")
    }
}

#[async_trait]
impl VideoProvider for KlingProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn supports(&self, kind: GenerationKind) -> bool {
        matches!(
            kind,
            GenerationKind::TextToVideo | GenerationKind::ImageToVideo
        )
    }

    fn credentials_hint(&self) -> &'static str {
        match self.style {
            Style::Generic(_) => "KLING_API_KEY and the Kling account",
            Style::Official(_) => {
                "KLING_API_KEY and KLING_API_SECRET (the access key and secret key) and the \
                 Kling account (balance, resource packs, access to the model)"
            }
        }
    }

    async fn generate(
        &self,
        job: &GenerationJob,
        sink: &dyn TaskSink,
    ) -> Result<VideoResult, ProviderError> {
        let (task_id, created) = self.create(job).await?;
        sink.task_created(&task_id).await?;
        tracing::info!(provider.task_id = %task_id, "Kling task created");
        let last = if self.state(&created, &task_id) == TaskState::Succeeded {
            None
        } else {
            Some(self.wait(job, &task_id).await?)
        };
        self.finish(
            job,
            &task_id,
            Some(&created),
            last.as_ref().unwrap_or(&created),
        )
        .await
    }

    async fn resume(
        &self,
        job: &GenerationJob,
        task_id: &str,
    ) -> Result<VideoResult, ProviderError> {
        // The task may have finished while nobody watched: look before waiting.
        let current = self.status(job, task_id).await?;
        let last = match self.state(&current, task_id) {
            TaskState::Succeeded => current,
            TaskState::Failed(message) => return Err(ProviderError::TaskFailed(message)),
            TaskState::Pending => self.wait(job, task_id).await?,
        };
        self.finish(job, task_id, None, &last).await
    }

    async fn find_task(&self, job: &GenerationJob) -> Result<Option<String>, ProviderError> {
        match &self.style {
            Style::Generic(_) => Ok(None),
            Style::Official(api) => api.find(job).await,
        }
    }
}
