//! Result storage in a real S3-compatible server (moto's server mode, started by
//! scripts/test.sh on 127.0.0.1 and named by `TEST_S3_ENDPOINT`). Every test is
//! named `s3_storage::…`: outside CI without a server the script skips them, and each one
//! returns early saying so loudly; under `CI=true` a missing server fails them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genworker::settings::Settings;
use genworker::simulator::{Knobs, video_content};
use genworker::storage::{ResultStore, S3Store};
use serde_json::json;

use crate::daemon::Harness;
use crate::support::TestDb;

const SECRET: &str = "s3-secret-never-shown";

/// The server's URL, or `None` (outside CI only) when there is none.
fn endpoint() -> Option<String> {
    match std::env::var("TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_owned()),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("TEST_S3_ENDPOINT is not set: scripts/test.sh starts the S3 server in CI")
        }
        _ => {
            eprintln!(
                "########## TEST_S3_ENDPOINT unset: SKIPPING this S3 test (run scripts/test.sh)"
            );
            None
        }
    }
}

fn http() -> reqwest::Client {
    genworker::net::client_builder().build().unwrap()
}

/// A bucket name no other test uses.
fn bucket_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nonce: u32 = rand::random();
    format!(
        "gw-{}-{}-{nonce:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Creates a bucket (moto takes an unsigned `PUT /<bucket>`).
async fn create_bucket(endpoint: &str) -> String {
    let bucket = bucket_name();
    let response = http()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");
    bucket
}

/// The six S3 variables for `bucket`; the public URL is the server's path-style
/// URL of the bucket (moto serves objects to unsigned GETs), without the `/`.
fn s3_env(endpoint: &str, bucket: &str) -> Vec<(String, String)> {
    [
        ("S3_BUCKET", bucket.to_owned()),
        ("S3_ENDPOINT", endpoint.to_owned()),
        ("S3_REGION", "us-east-1".to_owned()),
        ("S3_ACCESS_KEY_ID", "testing".to_owned()),
        ("S3_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ("S3_PUBLIC_URL", format!("{endpoint}/{bucket}")),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn fetch(url: &str) -> (reqwest::StatusCode, Option<String>, Vec<u8>) {
    let response = http().get(url).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// The daemon uploads the finished video, links it in `result_urls`, sends it on
/// Telegram from the local file, then removes the local copy; a later re-delivery
/// (a crash before the message) sends the public link instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_uploads_the_video_and_links_it() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = create_bucket(&endpoint).await;
    let env = s3_env(&endpoint, &bucket);
    let h = Harness::new(TestDb::sqlite(), &pairs(&env)).await;
    // Two parts: one full 5 MiB part and a short last one.
    let size: u64 = 6 * 1024 * 1024 + 321;
    h.sim.set_knobs(Knobs {
        video_bytes: size,
        finish_after_ms: 50,
        ..Knobs::default()
    });
    let request = h
        .enqueue("a fox in the cloud", "text2video", json!({}), Some(1001))
        .await;
    let daemon = h.start("w1", &[]);
    h.wait_final(&[request.id], Duration::from_secs(60)).await;
    daemon.shutdown().await;

    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let url = format!("{endpoint}/{bucket}/videos/{}.mp4", request.run_code);
    assert_eq!(done.result_urls.0, json!([url]));
    let (status, content_type, body) = fetch(&url).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(content_type.as_deref(), Some("video/mp4"));
    assert_eq!(body.len() as u64, size);
    assert!(
        body == video_content(size),
        "the object differs from the served video"
    );
    let local =
        h.db.dir
            .path()
            .join(format!("media/videos/{}.mp4", request.run_code));
    assert!(!local.exists(), "the local copy is removed once sent");
    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].method, "sendVideo");
    assert_eq!(messages[0].video_bytes, Some(size));
    assert_eq!(h.sim.task_count(), 1);

    // Finished but not delivered, and the local copy gone: the link goes out.
    h.retell("w2", &[request.id], 2).await;
    let messages = h.sim.telegram_messages();
    assert_eq!(messages[1].method, "sendMessage");
    let text = messages[1].text.clone().unwrap_or_default();
    assert!(text.ends_with(&format!("🔗 {url}")), "{text}");

    // Not delivered, but the local copy survived (same volume): the file goes
    // out, and then the working copy is removed as after a first delivery.
    let survivor = video_content(1000);
    std::fs::write(&local, &survivor).unwrap();
    h.retell("w3", &[request.id], 3).await;
    let messages = h.sim.telegram_messages();
    assert_eq!(messages[2].method, "sendVideo");
    assert_eq!(messages[2].video_bytes, Some(survivor.len() as u64));
    assert!(
        !local.exists(),
        "the surviving working copy is removed once sent"
    );
}

/// A bucket that does not exist: the upload fails like a failed local write,
/// so the request is retried (the task resumed, not paid again), then fails with
/// one refund and a message that names no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_fails_the_request_with_one_refund() {
    let Some(endpoint) = endpoint() else { return };
    let env = s3_env(&endpoint, &format!("{}-missing", bucket_name()));
    let mut extra = pairs(&env);
    extra.push(("GENWORKER_MAX_ATTEMPTS", "2"));
    let h = Harness::new(TestDb::sqlite(), &extra).await;
    h.sim.set_knobs(Knobs {
        video_bytes: 50_000,
        finish_after_ms: 50,
        ..Knobs::default()
    });
    let request = h
        .enqueue("nowhere to put it", "text2video", json!({}), Some(1002))
        .await;
    let daemon = h.start("w1", &[]);
    h.wait_final(&[request.id], Duration::from_secs(60)).await;
    daemon.shutdown().await;

    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message,
        "Не удалось сохранить видео в хранилище."
    );
    assert_eq!(failed.result_urls.0, json!([]));
    assert_eq!(h.refund_count().await, 1);
    assert_eq!(h.sim.task_count(), 1, "the retry resumed the task");
    let local =
        h.db.dir
            .path()
            .join(format!("media/videos/{}.mp4", request.run_code));
    assert!(!local.exists(), "no working copy is left behind");
    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 1);
    let text = messages[0].text.clone().unwrap_or_default();
    assert!(text.contains("Не удалось сохранить видео"), "{text}");
}

/// The real binary at RUST_LOG=trace, failing its uploads: the failure is logged
/// with its cause, the secret key never.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_key_stays_out_of_the_logs() {
    let Some(endpoint) = endpoint() else { return };
    let env = s3_env(&endpoint, &format!("{}-missing", bucket_name()));
    let h = Harness::new(TestDb::sqlite(), &[]).await;
    h.sim.set_knobs(Knobs {
        video_bytes: 50_000,
        finish_after_ms: 50,
        ..Knobs::default()
    });
    let request = h
        .enqueue("logged, not leaked", "text2video", json!({}), Some(1003))
        .await;
    let mut extra = pairs(&env);
    extra.extend([("GENWORKER_MAX_ATTEMPTS", "1"), ("RUST_LOG", "trace")]);
    let daemon = h.spawn_binary(&extra);
    h.wait_final(&[request.id], Duration::from_secs(60)).await;
    let logs = daemon.kill_and_logs();
    assert_eq!(h.request(request.id).await.status, "error");
    assert!(logs.contains("cannot store the video"), "{logs}");
    assert!(logs.contains("NoSuchBucket"), "the cause is logged");
    assert!(!logs.contains(SECRET), "the S3 secret reached the logs");
}

/// A 20 MiB file goes up in several parts, byte for byte, with its type; storing
/// it again (a retry after a crash) overwrites the same object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_uploads_in_parts_and_again_harmlessly() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = create_bucket(&endpoint).await;
    let env: HashMap<String, String> = s3_env(&endpoint, &bucket).into_iter().collect();
    let settings = Settings::from_sources(None, env).unwrap();
    let store = S3Store::new(settings.s3.as_ref().unwrap()).unwrap();
    assert!(!format!("{store:?}").contains(SECRET));
    assert!(store.is_remote());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("videos").join("large-run.webm");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let size = 20 * 1024 * 1024 + 7;
    let content: Vec<u8> = (0..size)
        .map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &content).unwrap();

    let expected = format!("{endpoint}/{bucket}/videos/large-run.webm");
    for _ in 0..2 {
        let url = store.publish(&file, "video/webm").await.unwrap();
        assert_eq!(url, expected);
        let (status, content_type, body) = fetch(&url).await;
        assert!(status.is_success(), "{status}");
        assert_eq!(content_type.as_deref(), Some("video/webm"));
        assert_eq!(body.len(), size);
        assert!(body == content, "the object differs from the file");
    }
    assert!(file.exists(), "the store itself never removes the file");

    // What the daemon logs when the bucket is missing: the cause, never the secret.
    let env: HashMap<String, String> = s3_env(&endpoint, &format!("{bucket}-missing"))
        .into_iter()
        .collect();
    let settings = Settings::from_sources(None, env).unwrap();
    let missing = S3Store::new(settings.s3.as_ref().unwrap()).unwrap();
    let error = missing
        .publish(&file, "video/webm")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("upload of videos/large-run.webm failed: "),
        "{error}"
    );
    assert!(error.contains("NoSuchBucket"), "{error}");
    assert!(!error.contains(SECRET), "{error}");
}
