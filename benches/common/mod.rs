//! What both bench programs (`queue` and `download`) need from the outside
//! world: the simulator as a child process, its knobs, a free port and the
//! kernel's memory figures under `/proc`. Included by each with
//! `#[path = "common/mod.rs"] mod common;`, so every item here is used by both.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `genworker` binary Cargo built for these benches.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_genworker");

/// A child process killed (SIGKILL) and waited for when dropped, unless taken
/// out before.
pub(crate) struct KillOnDrop(pub(crate) Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port on 127.0.0.1 free at the time of asking.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The number of a `/proc` file's `field` line (`VmRSS:` of `/proc/self/status`,
/// `MemTotal:` of `/proc/meminfo`), in KiB as the kernel writes it; 0 when absent.
pub(crate) fn proc_kib(file: &str, field: &str) -> u64 {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0)
}

/// `genworker simulate` on a free port with `env` (in `dir` when given), its
/// output discarded; waits up to 20 s for it to answer. Answers the process
/// and its base URL.
pub(crate) async fn start_simulator(
    http: &reqwest::Client,
    dir: Option<&Path>,
    env: &[(&str, &str)],
) -> (KillOnDrop, String) {
    let port = free_port();
    let mut command = Command::new(BIN);
    command
        .args(["simulate", "--port", &port.to_string()])
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let simulator = KillOnDrop(Some(command.spawn().expect("start genworker simulate")));
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while http.get(format!("{base}/_sim/stats")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "simulator did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (simulator, base)
}

/// Sets the simulator's knobs (task time, video size and form, outcome).
pub(crate) async fn put_knobs(http: &reqwest::Client, base: &str, knobs: &serde_json::Value) {
    let response = http
        .put(format!("{base}/_sim/knobs"))
        .json(knobs)
        .send()
        .await
        .expect("simulator knobs");
    assert!(
        response.status().is_success(),
        "knobs: {}",
        response.status()
    );
}
