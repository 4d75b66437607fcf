//! The simulator's shared state: call counters, injected faults, tasks and
//! each API's store, behind one mutex, and the ids it hands out.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use http::HeaderMap;

use super::endpoint::Endpoint;
use super::kling_useapi_state::UseapiStore;
use super::knobs::{Fault, Knobs, Outcome};
use super::service_account::ServiceAccount;
use super::telegram_state::{TelegramFile, TelegramMessage};
use super::veo_state::VeoStore;

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
