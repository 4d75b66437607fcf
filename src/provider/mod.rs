//! Video providers: the [`VideoProvider`] trait the daemon drives, its request and
//! result types, and the [`registry`] that maps `botapp_aimodel.provider` to one.
//! Adding a provider is one module plus one line in [`registry::ProviderRegistry::from_settings`].

mod error;
pub mod kling;
pub mod registry;

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::{Map, Value};

pub use error::ProviderError;
pub use registry::ProviderRegistry;

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

/// An input image, already fetched (from Telegram).
#[derive(Debug, Clone)]
pub struct InputImage {
    /// The image bytes (Telegram caps downloads at 20 MB).
    pub bytes: Vec<u8>,
    /// Its MIME type, e.g. `image/png`.
    pub mime_type: String,
}

/// Where a result video goes: `<dir>/<stem>.<ext>`, the extension chosen from its type.
#[derive(Debug, Clone)]
pub struct OutputTarget {
    /// The folder (`MEDIA_ROOT/videos`).
    pub dir: PathBuf,
    /// The file name without extension (the request's `run_code`).
    pub stem: String,
}

/// One generation, as the daemon hands it to a provider.
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
    /// The input image of an image2video request.
    pub image: Option<InputImage>,
    /// Where to put the video.
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
}

/// Receives the provider's task id the moment it exists, so that a crash after
/// that point resumes the task instead of paying for a new one.
#[async_trait]
pub trait TaskSink: Send + Sync {
    /// Persists the task id; an error stops the generation (e.g. the lease was lost).
    async fn task_created(&self, task_id: &str) -> Result<(), ProviderError>;
}

/// A video generation service.
#[async_trait]
pub trait VideoProvider: Send + Sync {
    /// The name models refer to in `botapp_aimodel.provider`.
    fn name(&self) -> &'static str;

    /// Whether this provider can run this kind of generation.
    fn supports(&self, kind: GenerationKind) -> bool;

    /// What an operator should check when this provider refuses genworker's
    /// credentials or account ([`ProviderError::Unauthorized`]).
    fn credentials_hint(&self) -> &'static str {
        "the provider's credentials and account"
    }

    /// Creates a task, reports its id to `sink`, waits for it and stores the video.
    async fn generate(
        &self,
        job: &GenerationJob,
        sink: &dyn TaskSink,
    ) -> Result<VideoResult, ProviderError>;

    /// Waits for an existing task (created by an earlier attempt) and stores the video.
    async fn resume(
        &self,
        job: &GenerationJob,
        task_id: &str,
    ) -> Result<VideoResult, ProviderError>;

    /// Looks up the task an earlier attempt may have created for this job but
    /// not reported (a crash between submit and saving the id). `None` when the
    /// provider has no such task or cannot look tasks up.
    async fn find_task(&self, job: &GenerationJob) -> Result<Option<String>, ProviderError>;
}
