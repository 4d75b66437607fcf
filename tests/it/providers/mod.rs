//! Providers against HTTP peers we do not own, played by wiremock or the
//! project's simulator: Kling in both styles, downloads, and Telegram.

mod downloads;
mod generic;
mod official;
mod security;
mod telegram;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use genworker::provider::kling::KlingProvider;
use genworker::provider::{
    GenerationJob, GenerationKind, OutputTarget, ProviderError, TaskSink, VideoProvider,
    VideoResult,
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

/// A generic-style Kling provider talking to `base` with fast polling.
pub fn generic_provider(base: &str, extra: &[(&str, &str)]) -> KlingProvider {
    let mut vars = vec![
        ("KLING_API_KEY", "test-key"),
        ("KLING_API_BASE_URL", base),
        ("KLING_POLL_INTERVAL", "0.01"),
        ("KLING_POLL_TIMEOUT", "5"),
        ("KLING_ALLOW_PRIVATE_URLS", "true"),
    ];
    vars.extend_from_slice(extra);
    KlingProvider::from_settings(&settings(&vars).kling).unwrap()
}

/// A job writing into `dir`.
pub fn job(dir: &tempfile::TempDir, kind: GenerationKind, params: Value) -> GenerationJob {
    GenerationJob {
        task_key: format!("run-{}", rand_id()),
        prompt: "a red fox in the snow".into(),
        model_name: "kling-v1".into(),
        kind,
        params: params.as_object().cloned().unwrap_or_default(),
        image: None,
        output: OutputTarget {
            dir: dir.path().join("videos"),
            stem: "result".into(),
        },
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
impl TaskSink for RecordingSink {
    async fn task_created(&self, task_id: &str) -> Result<(), ProviderError> {
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
