//! Download memory benchmark (issue: memory flat in video size).
//!
//! Runs the Kling provider (generic style) in this process against `genworker
//! simulate` in another process, so only the provider's memory is measured. For
//! each case the peak RSS is reset (`/proc/self/clear_refs`), the baseline RSS
//! read, the video generated and stored, and the peak growth over the baseline
//! printed next to the video size.
//!
//! With `TEST_S3_ENDPOINT` (scripts/bench-download.sh starts moto), the 512 MiB
//! video is then uploaded the way S3 result storage does it, measured the same way.
//!
//! Run: `scripts/bench-download.sh` (or `cargo bench --bench download`).

use std::time::Instant;

use async_trait::async_trait;
use genworker::provider::{
    GenerationJob, GenerationKind, OutputTarget, ProviderRegistry, SaveError, TaskIds,
};
use genworker::settings::Settings;
use genworker::storage::{ResultStore, S3Store};

#[path = "common/mod.rs"]
mod common;

use common::{proc_kib, put_knobs, start_simulator};

const MIB: u64 = 1024 * 1024;
/// The video size the S3 upload case sends (the largest URL case's result).
const UPLOAD_MIB: u64 = 512;

struct Case {
    name: &'static str,
    mib: u64,
    base64: bool,
}

const CASES: [Case; 5] = [
    Case {
        name: "url",
        mib: 16,
        base64: false,
    },
    Case {
        name: "url",
        mib: 128,
        base64: false,
    },
    Case {
        name: "url",
        mib: 512,
        base64: false,
    },
    Case {
        name: "base64",
        mib: 16,
        base64: true,
    },
    Case {
        name: "base64",
        mib: 64,
        base64: true,
    },
];

struct NoSink;

#[async_trait]
impl TaskIds for NoSink {
    async fn save(&self, _: &str) -> Result<(), SaveError> {
        Ok(())
    }
}

/// A `/proc/self/status` field in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> u64 {
    proc_kib("/proc/self/status", field) * 1024
}

fn reset_peak() {
    // "5" resets the peak RSS (VmHWM) to the current RSS.
    std::fs::write("/proc/self/clear_refs", "5")
        .expect("reset VmHWM through /proc/self/clear_refs");
}

/// Knobs for one case: a video of `bytes`, as a URL or inline base64, at once.
fn case_knobs(bytes: u64, base64: bool) -> serde_json::Value {
    serde_json::json!({
        "finish_after_ms": 0, "video_bytes": bytes,
        "result": if base64 { "Base64" } else { "Url" },
    })
}

#[tokio::main]
async fn main() {
    let client = genworker::net::client_builder().build().unwrap();
    let (simulator, base) = start_simulator(&client, None, &[("KLING_API_KEY", "bench-key")]).await;

    let env = [
        ("KLING_API_KEY", "bench-key"),
        ("KLING_API_BASE_URL", base.as_str()),
        ("KLING_POLL_INTERVAL", "0.05"),
        ("KLING_ALLOW_PRIVATE_URLS", "true"),
        ("KLING_REQUEST_TIMEOUT", "120"),
    ];
    let settings = settings_from(&env);
    let registry = ProviderRegistry::from_settings(&settings);
    let provider = registry.get("kling").expect("Kling is configured");
    let dir = tempfile::tempdir().unwrap();

    println!("Download memory: peak RSS growth over this process's own baseline");
    println!(
        "{:<8} {:>9} {:>13} {:>10} {:>11} {:>9} {:>10} {:>7} {:>8}",
        "result",
        "video",
        "baseline RSS",
        "peak RSS",
        "growth",
        "growth/",
        "goal",
        "met",
        "seconds"
    );
    println!(
        "{:<8} {:>9} {:>13} {:>10} {:>11} {:>9} {:>10} {:>7} {:>8}",
        "", "MiB", "MiB", "MiB", "MiB", "video", "", "", ""
    );
    let mut all_met = true;
    let mut kept = None;
    for (index, case) in CASES.iter().enumerate() {
        put_knobs(&client, &base, &case_knobs(case.mib * MIB, case.base64)).await;
        let job = GenerationJob {
            task_key: format!("bench-{index}"),
            prompt: "benchmark".into(),
            model_name: "kling-v1".into(),
            kind: GenerationKind::TextToVideo,
            params: serde_json::Map::new(),
            output: OutputTarget {
                dir: dir.path().to_path_buf(),
                stem: format!("bench-{index}"),
            },
        };
        reset_peak();
        let baseline = status_bytes("VmRSS:");
        let timer = Instant::now();
        let result = provider
            .generate(&job, &None, &NoSink)
            .await
            .expect("generate");
        let seconds = timer.elapsed().as_secs_f64();
        let peak = status_bytes("VmHWM:");
        assert_eq!(result.size_bytes, case.mib * MIB);
        if case.mib == UPLOAD_MIB && !case.base64 {
            kept = Some(result.file);
        } else {
            std::fs::remove_file(&result.file).unwrap();
        }
        let growth = peak.saturating_sub(baseline);
        let ratio = growth as f64 / (case.mib * MIB) as f64;
        let (goal, met) = if case.base64 {
            ("≤1.5×", ratio <= 1.5)
        } else {
            ("≤32 MiB", growth <= 32 * MIB)
        };
        all_met &= met;
        print_row(case.name, case.mib, (baseline, peak), goal, met, seconds);
    }
    if let Some(file) = kept {
        match std::env::var("TEST_S3_ENDPOINT") {
            Ok(endpoint) => all_met &= upload(&client, &endpoint, &file).await,
            Err(_) => println!(
                "s3 put: skipped (TEST_S3_ENDPOINT unset; scripts/bench-download.sh starts moto)"
            ),
        }
        std::fs::remove_file(&file).unwrap();
    }
    println!("all goals met: {}", if all_met { "yes" } else { "NO" });
    drop(simulator);
    if !all_met {
        std::process::exit(1);
    }
}

/// Uploads the 512 MiB video as S3 result storage does (to moto at `endpoint`)
/// and prints its row; true when the growth goal is met.
async fn upload(client: &reqwest::Client, endpoint: &str, file: &std::path::Path) -> bool {
    let bucket = format!("bench-{}", std::process::id());
    let created = client
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("create the bucket");
    assert!(created.status().is_success(), "{}", created.status());
    let public_url = format!("{endpoint}/{bucket}");
    let env = [
        ("S3_BUCKET", bucket.as_str()),
        ("S3_ENDPOINT", endpoint),
        ("S3_ACCESS_KEY_ID", "bench"),
        ("S3_SECRET_ACCESS_KEY", "bench-secret"),
        ("S3_PUBLIC_URL", public_url.as_str()),
    ];
    let settings = settings_from(&env);
    let store = S3Store::new(settings.s3.as_ref().expect("S3 settings")).unwrap();
    reset_peak();
    let baseline = status_bytes("VmRSS:");
    let timer = Instant::now();
    let url = store.publish(file, "video/mp4").await.expect("upload");
    let seconds = timer.elapsed().as_secs_f64();
    let peak = status_bytes("VmHWM:");
    assert!(url.ends_with(".mp4"), "{url}");
    let met = peak.saturating_sub(baseline) <= 32 * MIB;
    print_row(
        "s3 put",
        UPLOAD_MIB,
        (baseline, peak),
        "≤32 MiB",
        met,
        seconds,
    );
    met
}

/// One line of the table: growth is peak − baseline, also per byte of video.
fn print_row(
    name: &str,
    mib: u64,
    (baseline, peak): (u64, u64),
    goal: &str,
    met: bool,
    seconds: f64,
) {
    let growth = peak.saturating_sub(baseline);
    println!(
        "{:<8} {:>9} {:>13.1} {:>10.1} {:>11.1} {:>8.3}× {:>10} {:>7} {:>8.2}",
        name,
        mib,
        baseline as f64 / MIB as f64,
        peak as f64 / MIB as f64,
        growth as f64 / MIB as f64,
        growth as f64 / (mib * MIB) as f64,
        goal,
        if met { "yes" } else { "NO" },
        seconds
    );
}

/// Settings from these variables only (no file, no process environment).
fn settings_from(env: &[(&str, &str)]) -> Settings {
    Settings::from_sources(
        None,
        env.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
    .unwrap()
}
