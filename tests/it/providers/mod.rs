//! Providers against HTTP peers we do not own, played by wiremock or the
//! project's simulator: Kling in both styles, downloads, and Telegram.

mod downloads;
mod generic;
mod official;
mod security;
mod telegram;

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use genworker::provider::kling::KlingProvider;
use genworker::provider::{
    GenerationJob, GenerationKind, InputImage, OutputTarget, ProviderError, RunError, Runner,
    SaveError, TaskIds, VideoResult,
};
use genworker::settings::Settings;
use serde_json::Value;

/// Settings from these variables only.
pub fn settings(vars: &[(&str, &str)]) -> Settings {
    let env: HashMap<String, String> = vars
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Settings::from_sources(None, env).unwrap()
}

/// A provider behind the shared runner, as the daemon drives it, with the
/// provider-level calls the tests make.
pub struct Provider(pub Runner);

impl Provider {
    /// The Kling provider of these settings.
    pub fn kling(settings: &Settings) -> Self {
        let provider = KlingProvider::from_settings(
            &settings.kling,
            settings.daemon.address_policy(),
            settings.daemon.callbacks.clone(),
        )
        .unwrap();
        Self(Runner::new(Arc::new(provider), settings.daemon.address_policy()).unwrap())
    }

    /// Submits (with the job's image), saves the task id, waits, stores the video.
    pub async fn generate(
        &self,
        job: &Job,
        sink: &RecordingSink,
    ) -> Result<VideoResult, ProviderError> {
        self.0
            .generate(&job.generation, &job.image, sink)
            .await
            .map_err(provider_error)
    }

    /// Waits for an existing task and stores the video.
    pub async fn resume(&self, job: &Job, task_id: &str) -> Result<VideoResult, ProviderError> {
        self.0
            .resume(&job.generation, task_id)
            .await
            .map_err(provider_error)
    }

    /// The task an earlier attempt created for this job, if the API can tell.
    pub async fn find_task(&self, job: &Job) -> Result<Option<String>, ProviderError> {
        self.0.find_task(&job.generation).await
    }
}

/// The provider's error of a run (the recording sink never refuses an id).
fn provider_error(error: RunError) -> ProviderError {
    match error {
        RunError::Provider(error) | RunError::Image(error) => error,
        RunError::NotSaved(error) => panic!("the recording sink refused an id: {error}"),
    }
}

/// A generation and its input image.
#[derive(Debug, Clone)]
pub struct Job {
    /// What the daemon hands the runner.
    pub generation: GenerationJob,
    /// The input image of an image2video job.
    pub image: Option<InputImage>,
}

impl Deref for Job {
    type Target = GenerationJob;

    fn deref(&self) -> &GenerationJob {
        &self.generation
    }
}

impl DerefMut for Job {
    fn deref_mut(&mut self) -> &mut GenerationJob {
        &mut self.generation
    }
}

/// A generic-style Kling provider talking to `base` with fast polling.
pub fn generic_provider(base: &str, extra: &[(&str, &str)]) -> Provider {
    let mut vars = vec![
        ("KLING_API_KEY", "test-key"),
        ("KLING_API_BASE_URL", base),
        ("KLING_POLL_INTERVAL", "0.01"),
        ("KLING_POLL_TIMEOUT", "5"),
        ("KLING_ALLOW_PRIVATE_URLS", "true"),
    ];
    vars.extend_from_slice(extra);
    Provider::kling(&settings(&vars))
}

/// A job writing into `dir`.
pub fn job(dir: &tempfile::TempDir, kind: GenerationKind, params: Value) -> Job {
    Job {
        generation: GenerationJob {
            task_key: format!("run-{}", rand_id()),
            prompt: "a red fox in the snow".into(),
            model_name: "kling-v1".into(),
            kind,
            params: params.as_object().cloned().unwrap_or_default(),
            output: OutputTarget {
                dir: dir.path().join("videos"),
                stem: "result".into(),
            },
        },
        image: None,
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// Records the task ids a provider reports, as the daemon would persist them.
#[derive(Default)]
pub struct RecordingSink(pub Mutex<Vec<String>>);

#[async_trait]
impl TaskIds for RecordingSink {
    async fn save(&self, task_id: &str) -> Result<(), SaveError> {
        self.0.lock().unwrap().push(task_id.to_owned());
        Ok(())
    }
}

impl RecordingSink {
    pub fn ids(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A small fake MP4.
pub fn mp4(len: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x18ftypisom\0\0\0\0".to_vec();
    bytes.resize(len, 7);
    bytes
}

/// The fatal message of an error (its Russian wording, the stored one),
/// failing the test if it is any other kind.
pub fn fatal(error: ProviderError) -> String {
    match error {
        ProviderError::Fatal(message) => message.ru,
        other => panic!("expected a fatal error, got {other:?}"),
    }
}

/// The message of a task the provider reported failed, failing the test if the
/// error is any other kind.
pub fn task_failed(error: ProviderError) -> String {
    match error {
        ProviderError::TaskFailed(message) => message.ru,
        other => panic!("expected a failed task, got {other:?}"),
    }
}

/// The message of a refused credential or account (the operator's problem),
/// failing the test if the error is any other kind.
pub fn unauthorized(error: ProviderError) -> String {
    match error {
        ProviderError::Unauthorized(message) => message.ru,
        other => panic!("expected a refused credential, got {other:?}"),
    }
}

/// A text2video generation by the generic provider against `base` (with `extra`
/// settings), storing into `dir`.
pub async fn generate_text(
    base: &str,
    extra: &[(&str, &str)],
    dir: &tempfile::TempDir,
) -> Result<VideoResult, ProviderError> {
    generic_provider(base, extra)
        .generate(
            &job(dir, GenerationKind::TextToVideo, serde_json::json!({})),
            &RecordingSink::default(),
        )
        .await
}

/// The error of such a generation, which must fail.
pub async fn generic_error(base: &str, extra: &[(&str, &str)]) -> ProviderError {
    let dir = tempfile::tempdir().unwrap();
    generate_text(base, extra, &dir).await.unwrap_err()
}
