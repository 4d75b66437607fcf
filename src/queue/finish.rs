//! What the daemon writes when a request ends.

use crate::i18n::UserText;

use serde_json::Value;

/// A finished video, as written to the request.
#[derive(Debug, Clone)]
pub struct Success {
    /// `MEDIA_URL` + `videos/<file>`.
    pub result_url: String,
    /// The file's size in bytes.
    pub file_size: u64,
    /// Seconds of video, from the params.
    pub duration: Option<i32>,
    /// e.g. `1080p`, from the params.
    pub video_resolution: String,
    /// e.g. `16:9`, from the params.
    pub aspect_ratio: String,
    /// The provider's task id.
    pub provider_job_id: String,
    /// The provider's responses, without blobs.
    pub provider_metadata: Value,
    /// Whether the user is still to be told (Telegram configured).
    pub notify: bool,
}

/// A finished request's duration: the video's when it has one (not 0), else the
/// request's own, as the bot's `complete_generation` keeps it.
pub fn kept_seconds(video: Option<i32>, request: Option<i32>) -> Option<i32> {
    video.filter(|seconds| *seconds != 0).or(request)
}

/// A finished request's resolution or aspect ratio: the video's when it has one,
/// else the request's own.
pub fn kept_text<'a>(video: &'a str, request: &'a str) -> &'a str {
    if video.is_empty() { request } else { video }
}

/// A failed request, as written to the request.
#[derive(Debug, Clone)]
pub struct Failure {
    /// `error_message` gets its Russian wording (the seed's); the lease keeps the
    /// English one for telling an English user again later.
    pub message: UserText,
    /// Whether the user is still to be told.
    pub notify: bool,
    /// Whether the provider reported the request's task failed (its saved task is
    /// then not resumed if the request is requeued).
    pub task_failed: bool,
}
