//! The simulator's knobs, injected faults, call counters and tasks.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::endpoint::Endpoint;
use super::kling_useapi_state::{UseapiIdShape, UseapiStatusStyle, UseapiStore};
use super::service_account::ServiceAccount;
use super::veo_state::{GeminiRedirect, VeoStore};

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

/// A message the simulated Telegram accepted.
#[derive(Debug, Clone, Serialize)]
pub struct TelegramMessage {
    /// `sendVideo`, `sendDocument` or `sendMessage`.
    pub method: String,
    /// The `chat_id` parameter, as a string.
    pub chat_id: String,
    /// `sendMessage` text.
    pub text: Option<String>,
    /// `sendVideo` / `sendDocument` caption.
    pub caption: Option<String>,
    /// `parse_mode`, when sent.
    pub parse_mode: Option<String>,
    /// `reply_markup` as sent (a JSON text).
    pub reply_markup: Option<String>,
    /// Size of the uploaded multipart file; `None` when `video` was a URL or file id.
    pub video_bytes: Option<u64>,
    /// `video` when it was a string (URL or file id).
    pub video_url: Option<String>,
    /// The uploaded file part: field name, file name and content type.
    pub file: Option<FilePart>,
    /// The multipart fields in the order they came (empty for JSON bodies).
    pub fields: Vec<String>,
    /// `disable_content_type_detection`, when sent.
    pub disable_content_type_detection: Option<String>,
}

/// How a file arrived in a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePart {
    /// The multipart field (`video`, `document`).
    pub field: String,
    /// Its file name.
    pub file_name: Option<String>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
}

/// Which API style created a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TaskStyle {
    Generic,
    /// Official style with its kind (`text2video` / `image2video`).
    Official(String),
    /// Kling through useapi.net, with the aspect ratio its poll reports.
    Useapi {
        aspect_ratio: String,
    },
}

/// A task's state as a poll sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Submitted,
    Processing,
    Succeeded { video_bytes: u64 },
    Failed { message: String },
}

impl Phase {
    fn is_final(&self) -> bool {
        matches!(self, Phase::Succeeded { .. } | Phase::Failed { .. })
    }
}

/// A simulated generation task.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub id: String,
    pub style: TaskStyle,
    pub external_task_id: Option<String>,
    pub duration: String,
    pub created: Instant,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub polls: u64,
    /// Set once the task reached a final phase; it never changes after.
    pub final_phase: Option<Phase>,
}

impl Task {
    /// A task created now, not polled yet.
    pub fn new(
        id: String,
        style: TaskStyle,
        external_task_id: Option<String>,
        duration: String,
    ) -> Self {
        let now_ms = chrono::Utc::now().timestamp_millis();
        Self {
            id,
            style,
            external_task_id,
            duration,
            created: Instant::now(),
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            polls: 0,
            final_phase: None,
        }
    }
}

/// A file served by the simulated Telegram.
#[derive(Debug, Clone)]
pub(crate) struct TelegramFile {
    pub file_id: String,
    pub file_path: String,
    pub bytes: Bytes,
}

/// Everything mutable, behind one mutex (never held across an await).
#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub knobs: Knobs,
    pub faults: HashMap<Endpoint, VecDeque<Fault>>,
    pub calls: HashMap<Endpoint, u64>,
    pub last_headers: HashMap<Endpoint, HeaderMap>,
    pub creates: HashMap<String, u64>,
    pub tasks: HashMap<String, Task>,
    /// Task ids in creation order (for the list endpoint).
    pub task_order: Vec<String>,
    /// Official tasks by `external_task_id`.
    pub by_external: HashMap<String, String>,
    /// The JSON body of the last call to an endpoint that reads one.
    pub last_bodies: HashMap<Endpoint, serde_json::Value>,
    pub telegram_files: HashMap<String, TelegramFile>,
    pub messages: Vec<TelegramMessage>,
    pub veo: VeoStore,
    pub useapi: UseapiStore,
    /// Official-style callbacks posted, and the status each got (0: no answer).
    pub callbacks: Vec<u16>,
}

impl Inner {
    /// Counts a create for `key` (external_task_id or prompt).
    pub fn count_create(&mut self, key: &str) {
        *self.creates.entry(key.to_owned()).or_default() += 1;
    }

    /// Advances a task as one poll sees it and returns its phase and a copy.
    pub fn poll(&mut self, id: &str) -> Option<(Phase, Task)> {
        let knobs = self.knobs.clone();
        let task = self.tasks.get_mut(id)?;
        let phase = match &task.final_phase {
            Some(done) => done.clone(),
            None => {
                let elapsed = task.created.elapsed().as_millis();
                let due = elapsed >= u128::from(knobs.finish_after_ms);
                let phase = match (&knobs.outcome, due) {
                    (Outcome::Succeed, true) => Phase::Succeeded {
                        video_bytes: super::clip::video_size(knobs.video_bytes),
                    },
                    (Outcome::Reject { message }, true)
                    | (Outcome::Filtered { reason: message }, true) => Phase::Failed {
                        message: message.clone(),
                    },
                    _ if task.polls == 0 => Phase::Submitted,
                    _ => Phase::Processing,
                };
                if phase.is_final() || (phase == Phase::Processing && task.polls == 1) {
                    task.updated_at_ms = chrono::Utc::now().timestamp_millis();
                }
                if phase.is_final() {
                    task.final_phase = Some(phase.clone());
                }
                phase
            }
        };
        task.polls += 1;
        Some((phase, task.clone()))
    }
}

/// State shared by all handlers.
pub(crate) struct Shared {
    pub api_key: String,
    pub api_secret: String,
    pub bot_token: String,
    pub gemini_api_key: String,
    /// The Google service account whose key signs token requests.
    pub service_account: &'static ServiceAccount,
    pub base_url: String,
    /// Start time in milliseconds, a prefix that keeps ids unique across restarts.
    pub started_ms: i64,
    /// Source of ids; separate from the mutex so ids can be made while it is held.
    counter: AtomicU64,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys, secret and token are never printed.
        f.debug_struct("Shared")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Creates the shared state.
    pub fn new(
        config: super::SimulatorConfig,
        service_account: &'static ServiceAccount,
        base_url: String,
    ) -> Self {
        Self {
            api_key: config.kling_api_key,
            api_secret: config.kling_api_secret,
            bot_token: config.telegram_bot_token,
            gemini_api_key: config.gemini_api_key,
            service_account,
            base_url,
            started_ms: chrono::Utc::now().timestamp_millis(),
            counter: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                knobs: config.knobs,
                telegram_files: super::photo::builtin_files(),
                ..Inner::default()
            }),
        }
    }

    /// Locks the state; a poisoned lock is still usable (counters only).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a call (count and headers) and takes the next injected fault.
    pub fn enter(&self, endpoint: Endpoint, headers: &HeaderMap) -> Option<Fault> {
        let mut inner = self.lock();
        *inner.calls.entry(endpoint).or_default() += 1;
        inner.last_headers.insert(endpoint, headers.clone());
        inner
            .faults
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }

    /// A fresh id: unique within this process and across restarts.
    pub fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}{:06}", self.started_ms, n)
    }

    /// A uuid-shaped request id.
    pub fn request_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let a = splitmix(self.started_ms as u64 ^ n);
        let b = splitmix(a ^ n.rotate_left(17));
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
