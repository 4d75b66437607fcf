//! A provider that finishes every task the moment it is created, with a
//! 32-byte video carried in its own answer: no HTTP, no waiting. It measures
//! and tests the queue engine and the daemon apart from any provider's API.
//! [`super::registry::ProviderRegistry::from_settings`] never registers it;
//! tests and benches add it themselves, under the name of the provider whose
//! models it should serve. For tests, [`InstantProvider::scripted`] fails the
//! calls a [`Script`] names (one fault per call, in order) and counts them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::download::DownloadError;
use crate::i18n::UserText;
use crate::provider::{
    Answer, GenerationJob, GenerationKind, InputImage, Limits, ProviderError, Submitted, TaskState,
    VideoProvider, VideoSource,
};

/// The video every task ends with: an MP4 `ftyp` box (32 bytes), base64.
const VIDEO_BASE64: &str = "AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDE=";

/// Finishes every task at once. Cheap to build; holds no connection.
#[derive(Debug, Clone)]
pub struct InstantProvider {
    name: &'static str,
    limits: Limits,
    /// The test's script, for [`InstantProvider::scripted`] only.
    script: Option<Arc<Script>>,
}

/// Test-only: the faults the calls of a [`InstantProvider::scripted`] provider
/// answer, one per call (submit or poll) in order, and how many calls it had.
/// Once the faults are used up, every task finishes at once as usual.
#[derive(Debug, Default)]
pub struct Script {
    faults: Mutex<VecDeque<Fault>>,
    submits: AtomicU32,
    polls: AtomicU32,
}

/// One scripted failure of a call.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A submit fails with this error before any task exists; a poll fails with it.
    Refuse(ProviderError),
    /// A submit creates its task (the runner saves its id), whose create answer
    /// is this error; a poll fails with it.
    Answer(ProviderError),
}

impl Script {
    /// A script of `faults`, in the order calls meet them.
    pub fn new(faults: impl IntoIterator<Item = Fault>) -> Arc<Self> {
        Arc::new(Self {
            faults: Mutex::new(faults.into_iter().collect()),
            ..Self::default()
        })
    }

    /// Submits so far (refused ones included).
    pub fn submits(&self) -> u32 {
        self.submits.load(Ordering::SeqCst)
    }

    /// Polls so far.
    pub fn polls(&self) -> u32 {
        self.polls.load(Ordering::SeqCst)
    }

    /// Counts a call on `calls` and takes the next fault, if any is left.
    fn next(&self, calls: &AtomicU32) -> Option<Fault> {
        calls.fetch_add(1, Ordering::SeqCst);
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

impl InstantProvider {
    /// Serves the models of provider `name`, `max_concurrent` tasks at a time.
    pub fn new(name: &'static str, max_concurrent: u32) -> Self {
        Self {
            name,
            limits: Limits {
                poll_interval: Duration::from_millis(10),
                callback_poll_interval: None,
                poll_timeout: Duration::from_secs(60),
                max_concurrent,
                max_video_bytes: 1024 * 1024,
                download_timeout: Duration::from_secs(10),
            },
            script: None,
        }
    }

    /// As [`InstantProvider::new`], its calls following `script` (for tests).
    pub fn scripted(name: &'static str, max_concurrent: u32, script: Arc<Script>) -> Self {
        Self {
            script: Some(script),
            ..Self::new(name, max_concurrent)
        }
    }

    fn finished() -> Answer {
        Answer {
            state: TaskState::Succeeded(VideoSource::Base64 {
                data: Bytes::from_static(VIDEO_BASE64.as_bytes()),
                fallback: None,
            }),
            response: json!({ "status": "succeeded" }),
        }
    }
}

#[async_trait]
impl VideoProvider for InstantProvider {
    fn name(&self) -> &'static str {
        self.name
    }

    fn supports(&self, _kind: GenerationKind) -> bool {
        true
    }

    fn credentials_hint(&self) -> &'static str {
        "nothing: the instant provider has no credentials"
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    async fn submit(
        &self,
        job: &GenerationJob,
        _image: Option<&InputImage>,
    ) -> Result<Submitted, ProviderError> {
        let answer = match self.script.as_ref().and_then(|s| s.next(&s.submits)) {
            Some(Fault::Refuse(error)) => return Err(error),
            Some(Fault::Answer(error)) => Err(error),
            None => Ok(Self::finished()),
        };
        Ok(Submitted {
            task_id: format!("instant-{}", job.task_key),
            answer,
            metadata: Map::new(),
        })
    }

    async fn poll(&self, _job: &GenerationJob, _task_id: &str) -> Result<Answer, ProviderError> {
        match self.script.as_ref().and_then(|s| s.next(&s.polls)) {
            Some(Fault::Refuse(error) | Fault::Answer(error)) => Err(error),
            None => Ok(Self::finished()),
        }
    }

    fn metadata(
        &self,
        _job: &GenerationJob,
        _task_id: &str,
        _created: &Value,
        _last: &Value,
    ) -> Map<String, Value> {
        Map::new()
    }

    fn poll_timeout_message(&self, _timeout: Duration) -> UserText {
        UserText::same("instant task timed out")
    }

    fn download_failed_message(&self, error: &DownloadError) -> UserText {
        UserText::same(format!("instant video not stored: {error}"))
    }

    fn too_large_message(&self, max_megabytes: u64) -> UserText {
        UserText::same(format!("instant video over {max_megabytes} MB"))
    }
}
