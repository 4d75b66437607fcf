//! What the simulator is told to do: its knobs (timing, results, sizes, how
//! tasks end) with their defaults, and the faults injected into an endpoint's
//! next calls.

use serde::{Deserialize, Serialize};

use super::kling_useapi_state::{UseapiIdShape, UseapiStatusStyle};
use super::veo_state::GeminiRedirect;

/// The Veo model ids both Google styles accept by default (the `veo_models` knob).
pub const DEFAULT_VEO_MODELS: [&str; 7] = [
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.1-generate-001",
    "veo-3.1-fast-generate-001",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
    "veo-2.0-generate-001",
];
/// Default lifetime of an access token from the simulated Google token endpoint.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

/// Default size of a generated video: 64 KiB (the clip, grown to that size).
pub const DEFAULT_VIDEO_BYTES: u64 = 64 * 1024;
/// Default Telegram upload limit for `sendVideo` files: 50 MB, as the public Bot API.
pub const DEFAULT_TELEGRAM_UPLOAD_LIMIT: u64 = 50 * 1000 * 1000;

/// Behaviour settings of the simulator, changeable while it runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Knobs {
    /// Time from task creation to a final status (0: final at the first poll).
    pub finish_after_ms: u64,
    /// How a generic-style Kling or a Veo result is delivered (official Kling
    /// style always uses URLs; Veo: `Url` is a `gs://` URI or a Gemini file).
    pub result: ResultMode,
    /// Size of the generated video in bytes; never less than the embedded clip
    /// ([`super::clip::CLIP`], 5,353 bytes): a smaller value serves the clip as it is.
    pub video_bytes: u64,
    /// How tasks end.
    pub outcome: Outcome,
    /// The video endpoint declares the full length but closes after half.
    pub truncate_download: bool,
    /// Content-Type of the video endpoint (default `video/mp4`).
    pub video_content_type: Option<String>,
    /// Largest file `sendVideo` accepts as an upload; larger gets HTTP 413.
    pub telegram_upload_limit_bytes: u64,
    /// Lifetime of the access tokens `POST /token` issues, in seconds.
    pub token_lifetime_secs: u64,
    /// The Veo model ids the Google styles know; any other is a 404.
    pub veo_models: Vec<String>,
    /// Where a Gemini file download sends the client.
    pub gemini_redirect: GeminiRedirect,
    /// Where a useapi.net create answer puts the task id.
    pub useapi_task_id_in: UseapiIdShape,
    /// How a useapi.net task poll spells its status.
    pub useapi_status_style: UseapiStatusStyle,
    /// Official-style callbacks (`callback_url`) are not sent (lost on the way).
    pub lose_callbacks: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            finish_after_ms: 0,
            result: ResultMode::Url,
            video_bytes: DEFAULT_VIDEO_BYTES,
            outcome: Outcome::Succeed,
            truncate_download: false,
            video_content_type: None,
            telegram_upload_limit_bytes: DEFAULT_TELEGRAM_UPLOAD_LIMIT,
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            veo_models: DEFAULT_VEO_MODELS.map(str::to_owned).to_vec(),
            gemini_redirect: GeminiRedirect::default(),
            useapi_task_id_in: UseapiIdShape::default(),
            useapi_status_style: UseapiStatusStyle::default(),
            lose_callbacks: false,
        }
    }
}

/// How a generic-style finished task delivers its video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ResultMode {
    /// A `result.video_url` pointing at the simulator's `/files/<id>.mp4`.
    #[default]
    Url,
    /// The whole video inline as `video_base64` (streamed).
    Base64,
}

/// How tasks end.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Outcome {
    /// The task succeeds with a video.
    #[default]
    Succeed,
    /// The task fails with this message.
    Reject {
        /// The provider's failure message.
        message: String,
    },
    /// Veo: the video is withheld by responsible-AI filtering with this reason;
    /// Kling: the task fails with it as the message.
    Filtered {
        /// The filtering reason (Google's text with its support code).
        reason: String,
    },
    /// The task stays processing forever.
    NeverFinish,
}

/// A failure injected into the next call of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// HTTP 500 with the text body `internal error`.
    ServerError,
    /// HTTP 429 with `Retry-After` (Telegram: `parameters.retry_after`).
    RateLimited {
        /// Seconds the client is told to wait.
        retry_after_secs: u64,
    },
    /// HTTP 200, `application/json`, an invalid JSON body.
    MalformedJson,
    /// Wait this long, then answer normally.
    Delay {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Any status with this body.
    Reject {
        /// HTTP status code.
        code: u16,
        /// Response body (sent as JSON when it parses as JSON).
        body: String,
    },
}
