//! Video providers: the narrow [`VideoProvider`] seam (what only a provider
//! knows: its request, its task's state, where its video is), the shared
//! [`runner`] that does everything else for every provider, and the [`registry`]
//! that maps `botapp_aimodel.provider` to one. Adding a provider is its module,
//! its settings struct and one line in [`registry::ProviderRegistry::from_settings`].

pub mod document;
mod error;
pub mod http;
pub mod instant;
pub mod kling;
pub mod registry;
pub mod runner;
mod setup;
pub mod veo;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Map, Value};
use url::Url;

use crate::download::{Credentials, DownloadError};
use crate::i18n::UserText;
pub use error::ProviderError;
pub use registry::ProviderRegistry;
pub use runner::{ImageSource, RunError, Runner, SaveError, TaskIds};
pub use setup::SetupError;

/// `botapp_genrequest.generation_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GenerationKind {
    /// A video from a prompt.
    TextToVideo,
    /// A video from a prompt and one input image.
    ImageToVideo,
}

impl GenerationKind {
    /// The value stored in the database and sent as Kling's `mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextToVideo => "text2video",
            Self::ImageToVideo => "image2video",
        }
    }

    /// Parses a stored `generation_type`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "text2video" => Some(Self::TextToVideo),
            "image2video" => Some(Self::ImageToVideo),
            _ => None,
        }
    }
}

/// An input image, already fetched (from Telegram, or from an address).
#[derive(Debug, Clone)]
pub struct InputImage {
    /// The image bytes (Telegram caps downloads at 20 MB).
    pub bytes: Vec<u8>,
    /// Its MIME type, e.g. `image/png`.
    pub mime_type: String,
    /// The address it was read from, when it was named by one (not a Telegram file).
    pub source_url: Option<String>,
}

/// Where a result video goes: `<dir>/<stem>.<ext>`, the extension chosen from its type.
#[derive(Debug, Clone)]
pub struct OutputTarget {
    /// The folder (`MEDIA_ROOT/videos`).
    pub dir: PathBuf,
    /// The file name without extension (the request's `run_code`).
    pub stem: String,
}

/// One generation, as the daemon hands it to the runner.
#[derive(Debug, Clone)]
pub struct GenerationJob {
    /// The name genworker gives the provider's task (Kling's `external_task_id`),
    /// unique per task: the request's `run_code`, or `<run_code>-2`, `-3`… for the
    /// tasks of a request requeued after its provider reported a task failed.
    pub task_key: String,
    /// The user's prompt.
    pub prompt: String,
    /// The model name the provider's API expects (`api_model_name`).
    pub model_name: String,
    /// text2video or image2video.
    pub kind: GenerationKind,
    /// The model's defaults overridden by the request's params (a shallow merge).
    pub params: Map<String, Value>,
    /// Where the runner puts the video.
    pub output: OutputTarget,
}

/// A finished generation: the video on disk and what the provider said.
#[derive(Debug, Clone)]
pub struct VideoResult {
    /// The provider's task id.
    pub task_id: String,
    /// The video file (inside [`OutputTarget::dir`]).
    pub file: PathBuf,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its MIME type.
    pub mime_type: String,
    /// The provider's responses and the task id, base64 blobs replaced by a marker.
    pub metadata: Value,
    /// What the provider says the video is.
    pub reported: Reported,
}

/// What a provider says about a finished video; each value it gives is stored
/// over the request's own (as the bot's `complete_generation` takes its
/// provider's result).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported {
    /// Seconds of video.
    pub duration: Option<i32>,
    /// E.g. `1280x720`.
    pub resolution: Option<String>,
    /// E.g. `16:9`.
    pub aspect_ratio: Option<String>,
}

/// Where a finished task's video is.
#[derive(Debug, Clone)]
pub enum VideoSource {
    /// A URL to download, with the headers its origin (and only its origin) gets.
    Url {
        /// The video's URL.
        url: Url,
        /// The credential for that URL's own origin, if it needs one.
        credentials: Option<Credentials>,
    },
    /// Base64 text inside a response (a slice of its body, not a copy).
    Base64 {
        /// The encoded video.
        data: Bytes,
        /// A URL to download instead when the text is not base64 after all.
        fallback: Option<Box<VideoSource>>,
    },
}

/// Where a task stands.
#[derive(Debug, Clone)]
pub enum TaskState {
    /// Still running.
    Pending,
    /// Finished with a video there.
    Succeeded(VideoSource),
    /// Finished without one; the message is for the user.
    Failed(UserText),
}

/// A provider's answer about a task: its state and the response it came in,
/// large strings replaced by markers (what `provider_metadata` keeps).
#[derive(Debug, Clone)]
pub struct Answer {
    /// Where the task stands.
    pub state: TaskState,
    /// The response.
    pub response: Value,
}

/// A task just created.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The provider's task id (saved before anything else happens).
    pub task_id: String,
    /// What the create response says (a provider may answer with the video at
    /// once); read only after the id is saved, so a response that says
    /// something wrong never loses the id of a paid task.
    pub answer: Result<Answer, ProviderError>,
    /// Keys the provider adds to `provider_metadata` from the create (what it
    /// sent, when that holds no secret and no blob).
    pub metadata: Map<String, Value>,
}

/// How the runner drives one provider's tasks.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time between polls.
    pub poll_interval: Duration,
    /// Time between polls while the provider calls back when a task ends (a
    /// callback wakes the job at once; this is the fallback for a lost one), when it does.
    pub callback_poll_interval: Option<Duration>,
    /// How long a task may take from the first wait.
    pub poll_timeout: Duration,
    /// Tasks in flight per process.
    pub max_concurrent: u32,
    /// The largest video stored.
    pub max_video_bytes: u64,
    /// Idle time before a download gives up.
    pub download_timeout: Duration,
}

/// A video generation service: only what the provider knows. The shared
/// [`Runner`] saves task ids, polls, stores videos and builds the metadata.
#[async_trait]
pub trait VideoProvider: Send + Sync {
    /// The name models refer to in `botapp_aimodel.provider`.
    fn name(&self) -> &'static str;

    /// Whether this provider can run this kind of generation.
    fn supports(&self, kind: GenerationKind) -> bool;

    /// What an operator should check when this provider refuses genworker's
    /// credentials or account ([`ProviderError::Unauthorized`]).
    fn credentials_hint(&self) -> &'static str;

    /// Polling, concurrency and download limits, from the provider's settings.
    fn limits(&self) -> Limits;

    /// Creates a task (with its input image, for image2video).
    async fn submit(
        &self,
        job: &GenerationJob,
        image: Option<&InputImage>,
    ) -> Result<Submitted, ProviderError>;

    /// Reads a task's state.
    async fn poll(&self, job: &GenerationJob, task_id: &str) -> Result<Answer, ProviderError>;

    /// Looks up the task an earlier attempt may have created for this job but
    /// not saved (a crash between submit and saving the id), by its task key.
    /// `None` when the provider has no such task or cannot look tasks up.
    async fn find_task(&self, _job: &GenerationJob) -> Result<Option<String>, ProviderError> {
        Ok(None)
    }

    /// The provider's own keys of `provider_metadata`, beside the runner's
    /// `provider`, `task_id`, `create_response` and `final_response`.
    fn metadata(
        &self,
        job: &GenerationJob,
        task_id: &str,
        created: &Value,
        last: &Value,
    ) -> Map<String, Value>;

    /// What the final response says the video is (by default nothing: the
    /// request's own values stay).
    fn reported(&self, _job: &GenerationJob, _last: &Value) -> Reported {
        Reported::default()
    }

    /// The user's message when the task outlived [`Limits::poll_timeout`].
    fn poll_timeout_message(&self, timeout: Duration) -> UserText;

    /// The user's message when the video could not be downloaded or stored.
    fn download_failed_message(&self, error: &DownloadError) -> UserText;

    /// The user's message when the video is over [`Limits::max_video_bytes`].
    fn too_large_message(&self, max_megabytes: u64) -> UserText;
}
