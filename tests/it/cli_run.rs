//! `genworker run` as a process: it processes requests and exits 0 on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::daemon::{Harness, TOKEN};
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_processes_requests_and_exits_zero_on_sigterm() {
    let h = Harness::new(TestDb::sqlite(), &[]).await;
    let sim = &h.sim;
    let request = h
        .enqueue("from the real binary", "text2video", json!({}), Some(31))
        .await;
    let media = h.db.dir.path().join("media");
    let mut child = Command::new(env!("CARGO_BIN_EXE_genworker"))
        .arg("run")
        .current_dir(h.db.dir.path())
        .env_clear()
        .env("DATABASE_URL", h.db.url())
        .env("KLING_API_KEY", "kling-key")
        .env("KLING_API_BASE_URL", sim.base_url())
        .env("KLING_POLL_INTERVAL", "0.02")
        .env("KLING_ALLOW_PRIVATE_URLS", "true")
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_BASE_URL", sim.base_url())
        .env("MEDIA_ROOT", &media)
        .env("GENWORKER_POLL_INTERVAL", "0.05")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    assert_eq!(h.request(request.id).await.status, "done");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || {
        let _ = child.stdin.take();
        child.wait_with_output()
    })
    .await
    .unwrap()
    .unwrap();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}: {logs}", output.status);
    assert!(logs.contains("daemon stopped"), "{logs}");
    for secret in ["kling-key", TOKEN] {
        assert!(
            !logs.contains(secret),
            "a secret reached the logs: {secret}"
        );
    }
}
