//! Faults inside the daemon: a job that panics (with the instant provider), a
//! lease whose job is gone, a closed log pipe. Nothing may hold a request it
//! is not working on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use genworker::download::DownloadError;
use genworker::i18n::UserText;
use genworker::provider::instant::InstantProvider;
use genworker::provider::{
    Answer, GenerationJob, GenerationKind, InputImage, Limits, ProviderError, Submitted,
    VideoProvider,
};
use serde_json::{Map, Value, json};

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    a_job_that_panics_gives_its_request_back_and_it_finishes,
    a_job_that_always_panics_fails_once_with_one_refund,
    a_lease_whose_job_is_gone_is_not_kept_alive,
    a_daemon_whose_log_pipe_is_closed_finishes_its_requests_and_stops_cleanly,
);

/// A provider, except that its first `panics` calls panic.
struct Panicking {
    inner: Arc<dyn VideoProvider>,
    panics: AtomicU32,
}

impl Panicking {
    fn around(inner: Arc<dyn VideoProvider>, panics: u32) -> Self {
        Self {
            inner,
            panics: AtomicU32::new(panics),
        }
    }

    fn maybe_panic(&self) {
        let left = self
            .panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if left.is_ok() {
            panic!("a bug in the provider");
        }
    }
}

#[async_trait]
impl VideoProvider for Panicking {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn supports(&self, kind: GenerationKind) -> bool {
        self.inner.supports(kind)
    }

    fn credentials_hint(&self) -> &'static str {
        self.inner.credentials_hint()
    }

    fn limits(&self) -> Limits {
        self.inner.limits()
    }

    async fn submit(
        &self,
        job: &GenerationJob,
        image: Option<&InputImage>,
    ) -> Result<Submitted, ProviderError> {
        self.maybe_panic();
        self.inner.submit(job, image).await
    }

    async fn poll(&self, job: &GenerationJob, task_id: &str) -> Result<Answer, ProviderError> {
        self.maybe_panic();
        self.inner.poll(job, task_id).await
    }

    async fn find_task(&self, job: &GenerationJob) -> Result<Option<String>, ProviderError> {
        self.inner.find_task(job).await
    }

    fn metadata(
        &self,
        job: &GenerationJob,
        task_id: &str,
        created: &Value,
        last: &Value,
    ) -> Map<String, Value> {
        self.inner.metadata(job, task_id, created, last)
    }

    fn poll_timeout_message(&self, timeout: Duration) -> UserText {
        self.inner.poll_timeout_message(timeout)
    }

    fn download_failed_message(&self, error: &DownloadError) -> UserText {
        self.inner.download_failed_message(error)
    }

    fn too_large_message(&self, max_megabytes: u64) -> UserText {
        self.inner.too_large_message(max_megabytes)
    }
}

/// An instant provider (serving `kling`) whose first `panics` calls panic.
fn panicking(panics: u32) -> Panicking {
    Panicking::around(Arc::new(InstantProvider::new("kling", 8)), panics)
}

/// Longest an instant run below may take.
const WITHIN: Duration = Duration::from_secs(20);

async fn a_job_that_panics_gives_its_request_back_and_it_finishes(db: TestDb) {
    let h = Harness::instant(db, &[]).await;
    let request = h
        .enqueue("a bug on the way", "text2video", json!({}), Some(31))
        .await;
    h.run_until_idle("w", &[], panicking(1), WITHIN).await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let (holder, attempt, failures, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!(holder, None);
    assert_eq!(
        (attempt, failures),
        (2, 1),
        "the panic counted as one failure"
    );
    assert!(delivered);
    assert_eq!(h.refund_count().await, 0);
}

async fn a_job_that_always_panics_fails_once_with_one_refund(db: TestDb) {
    let h = Harness::instant(db, &[("GENWORKER_MAX_ATTEMPTS", "2")]).await;
    let request = h
        .enqueue("a bug every time", "text2video", json!({}), Some(32))
        .await;
    h.run_until_idle("w", &[], panicking(u32::MAX), WITHIN)
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message,
        "Внутренняя ошибка при обработке запроса."
    );
    assert_eq!(h.refund_count().await, 1);
    let (holder, attempt, _, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!((holder, attempt, delivered), (None, 2, true));
}

/// A lease this worker holds without a job behind it (as a job lost by a bug
/// would leave) runs out instead of being renewed forever, and the request is
/// claimed again and finished.
async fn a_lease_whose_job_is_gone_is_not_kept_alive(db: TestDb) {
    let h = Harness::new(db, &[("GENWORKER_LEASE_SECONDS", "2")]).await;
    let request = h
        .enqueue("a job lost in flight", "text2video", json!({}), Some(33))
        .await;
    let orphaned = h
        .store("keeper")
        .claim(vec!["kling"], 1, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(orphaned.len(), 1, "claimed, and no job runs it");
    let daemon = h.start("keeper", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    daemon.shutdown().await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert_eq!(h.lease(request.id).await.unwrap().1, 2, "claimed again");
}

/// `genworker run 2>&1 | head -n 2`: once the reader is gone every log line
/// fails to write; the daemon drops them and goes on, and SIGTERM still stops it
/// gracefully (exit 0).
async fn a_daemon_whose_log_pipe_is_closed_finishes_its_requests_and_stops_cleanly(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let prompt = format!("nobody reads the logs {n}");
        ids.push(
            h.enqueue(&prompt, "text2video", json!({}), Some(40 + n))
                .await
                .id,
        );
    }
    let daemon = h.spawn_binary_with_closed_stderr(&[("LOG_FORMAT", "json")]);
    h.wait_final(&ids, Duration::from_secs(30)).await;
    let status = daemon.terminate();
    assert!(status.success(), "a graceful stop: {status:?}");
    for id in &ids {
        assert_eq!(h.request(*id).await.status, "done");
        let (holder, _, _, delivered) = h.lease(*id).await.unwrap();
        assert_eq!((holder, delivered), (None, true));
    }
    assert_eq!(h.sim.telegram_messages().len(), 3, "each user told once");
}
