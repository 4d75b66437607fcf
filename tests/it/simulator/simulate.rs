//! `genworker simulate` as a process: what it prints, pasted into a shell as it
//! is, points `genworker enqueue` and `genworker run` at it (the port it really
//! got, the keys it accepts), and its image2video example runs on the built-in
//! photo; an operator's own keys are accepted but never printed; its Veo
//! variables name a private key file that goes when it stops.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use genworker::db::live::{ColumnDefaults, Tables};
use genworker::queue::QueueStore;
use genworker::simulator::video_size;
use serde_json::{Value, json};

use crate::mp4::check_h264;
use crate::support::{TestDb, success};

const BIN: &str = env!("CARGO_BIN_EXE_genworker");

/// A child process, stopped when dropped (a failed assert leaves nothing
/// running): SIGTERM, so `simulate` removes its key file, then SIGKILL after 10 s.
struct Process(Child);

impl Process {
    /// Sends SIGTERM and waits (at most `patience`) for the process to exit.
    fn terminate(&mut self, patience: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .ok()?;
        if !sent.success() {
            return None;
        }
        let deadline = std::time::Instant::now() + patience;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().ok()? {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None))
            && self.terminate(Duration::from_secs(10)).is_none()
        {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// `PATH` with the genworker binary's folder first, so `genworker …` is this build.
fn path() -> String {
    let folder = Path::new(BIN).parent().unwrap().display().to_string();
    match std::env::var("PATH") {
        Ok(rest) => format!("{folder}:{rest}"),
        Err(_) => folder,
    }
}

/// Starts `genworker simulate ARGS` with exactly `env` (and PATH); returns it and
/// its hint: the lines it printed, up to its image2video example.
fn simulate(args: &[&str], env: &[(&str, &str)]) -> (Process, Vec<String>) {
    let mut child = Command::new(BIN)
        .arg("simulate")
        .args(args)
        .env_clear()
        .env("PATH", path())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut hint = Vec::new();
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no full hint within 30 s: {hint:#?}"))
            .unwrap();
        let last = line.starts_with("#   genworker enqueue");
        hint.push(line);
        if last {
            return (process, hint);
        }
    }
}

/// The hint's `export NAME=VALUE` lines.
fn exports(hint: &[String]) -> HashMap<String, String> {
    hint.iter()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// `sh -c SCRIPT` in `db`'s folder with only PATH, DATABASE_URL and `env`.
fn shell(db: &TestDb, script: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .current_dir(db.dir.path())
        .env_clear()
        .env("PATH", path())
        .env("DATABASE_URL", db.url())
        .envs(env.iter().copied());
    command
}

/// The id in `enqueue`'s `enqueued request N (run_code …)`.
fn enqueued_id(stdout: &str) -> i64 {
    stdout
        .strip_prefix("enqueued request ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no request id in {stdout:?}"))
}

async fn get_json(url: &str) -> Value {
    let http = genworker::net::client_builder().build().unwrap();
    http.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hint_works_as_printed_with_a_port_it_picked() {
    let (_simulator, hint) = simulate(
        &["--port", "0", "--finish-after-ms", "0"],
        &[("RUST_LOG", "warn")],
    );
    let exports = exports(&hint);
    let base = exports["KLING_API_BASE_URL"].clone();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0, "{hint:#?}");
    assert_eq!(exports["TELEGRAM_API_BASE_URL"], base);
    assert!(
        !exports.contains_key("KLING_ALLOW_PRIVATE_URLS"),
        "the old name is not printed"
    );
    for name in ["KLING_API_KEY", "KLING_API_SECRET", "TELEGRAM_BOT_TOKEN"] {
        assert!(!exports[name].is_empty(), "{name} in {hint:#?}");
    }
    for line in &hint {
        assert!(
            line.starts_with("# ") || line.starts_with("export "),
            "not a shell line: {line}"
        );
    }

    let db = TestDb::sqlite();
    let pool = db.migrated().await;
    // The printed image2video example, run as printed; and a text2video for a user.
    let example = hint.last().unwrap().trim_start_matches('#').trim();
    let image = enqueued_id(&success(&shell(&db, example, &[]).output().unwrap()));
    let text = enqueued_id(&success(
        &shell(
            &db,
            "genworker enqueue --model kling-v1 --prompt 'a fox' --user 1001",
            &[],
        )
        .output()
        .unwrap(),
    ));

    // The hint pasted into a shell as it is, then the daemon.
    let media = db.dir.path().join("media");
    let log = db.dir.path().join("daemon.log");
    let script = format!("{}\nexec genworker run", hint.join("\n"));
    let media_root = media.display().to_string();
    let _daemon = Process(
        shell(
            &db,
            &script,
            &[
                ("MEDIA_ROOT", media_root.as_str()),
                ("KLING_POLL_INTERVAL", "0.1"),
                ("GENWORKER_POLL_INTERVAL", "0.05"),
            ],
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap(),
    );
    let tables = Arc::new(
        Tables::read(&pool, &ColumnDefaults::default(), &[])
            .await
            .unwrap(),
    );
    let store = QueueStore::new(pool, tables, "reader");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let rows = loop {
        let mut rows = Vec::new();
        for id in [image, text] {
            rows.push(store.request(id).await.unwrap().unwrap());
        }
        if rows
            .iter()
            .all(|row| matches!(row.status.as_str(), "done" | "error"))
        {
            break rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not finished: {:?}\n{}",
            rows.iter().map(|row| &row.status).collect::<Vec<_>>(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for row in &rows {
        assert_eq!(
            (row.status.as_str(), row.error_message.as_str()),
            ("done", ""),
            "request {} ({})",
            row.id,
            row.generation_type
        );
        let url = row.result_urls.0[0].as_str().unwrap();
        let file = media.join("videos").join(url.rsplit('/').next().unwrap());
        let video = std::fs::read(&file).unwrap();
        assert_eq!(
            video.len() as u64,
            video_size(256 * 1024),
            "the default size"
        );
        check_h264(&video).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    }
    let stats = get_json(&format!("{base}/_sim/stats")).await;
    assert_eq!(stats["calls"]["TelegramGetFile"], 1, "{stats}");
    assert_eq!(stats["calls"]["TelegramFile"], 1, "{stats}");
    let messages = get_json(&format!("{base}/_sim/telegram-messages")).await;
    assert_eq!(messages.as_array().map(Vec::len), Some(1), "{messages}");
    assert_eq!(messages[0]["chat_id"], json!("1001"));
}

#[tokio::test]
async fn the_operator_s_own_keys_are_accepted_but_never_printed() {
    let (key, secret, token) = (
        "operator-kling-key",
        "operator-secret",
        "999:operator-token",
    );
    let (_simulator, hint) = simulate(
        &["--port", "0"],
        &[
            ("KLING_API_KEY", key),
            ("KLING_API_SECRET", secret),
            ("TELEGRAM_BOT_TOKEN", token),
        ],
    );
    let text = hint.join("\n");
    for value in [key, secret, token] {
        assert!(!text.contains(value), "{value} printed:\n{text}");
    }
    let exports = exports(&hint);
    for name in ["KLING_API_KEY", "KLING_API_SECRET", "TELEGRAM_BOT_TOKEN"] {
        assert!(!exports.contains_key(name), "{name} exported:\n{text}");
        assert!(
            text.contains(&format!("# {name}: the one your settings give")),
            "{text}"
        );
    }
    let base = &exports["KLING_API_BASE_URL"];
    let http = genworker::net::client_builder().build().unwrap();
    let created = http
        .post(format!("{base}/v1/video/generations"))
        .bearer_auth(key)
        .json(&json!({"prompt": "a fox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let file = get_json(&format!("{base}/bot{token}/getFile?file_id=AgAC-sim-photo")).await;
    assert_eq!(file["ok"], true, "{file}");
}

#[tokio::test]
async fn the_veo_variables_name_a_private_key_file_that_goes_on_stop() {
    let (mut simulator, hint) = simulate(&["--port", "0"], &[]);
    let exports = exports(&hint);
    let base = exports["KLING_API_BASE_URL"].clone();
    for name in [
        "VERTEX_API_BASE_URL",
        "GEMINI_API_BASE_URL",
        "GOOGLE_STORAGE_BASE_URL",
    ] {
        assert_eq!(exports[name], base, "{name}");
    }
    assert_eq!(exports["GOOGLE_OAUTH_TOKEN_URL"], format!("{base}/token"));
    assert_eq!(exports["VERTEX_PROJECT_ID"], "sim-project");
    assert_eq!(exports["VERTEX_LOCATION"], "us-central1");
    assert_eq!(exports["GEMINI_API_KEY"], "sim-gemini-key");
    assert_eq!(exports["GENWORKER_ALLOW_PRIVATE_URLS"], "true");
    assert!(
        hint.iter()
            .any(|line| line.starts_with("# ") && line.contains("export VEO_API_STYLE=gemini")),
        "{hint:#?}"
    );

    let key_file = Path::new(&exports["GOOGLE_APPLICATION_CREDENTIALS_JSON"]).to_path_buf();
    let account: Value =
        serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_eq!(account["type"], "service_account");
    assert_eq!(account["token_uri"], format!("{base}/token"));
    assert!(
        account["private_key"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key_file.display());
    }
    // The Gemini style answers with the printed key.
    let http = genworker::net::client_builder().build().unwrap();
    let submitted = http
        .post(format!(
            "{base}/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning"
        ))
        .header("x-goog-api-key", &exports["GEMINI_API_KEY"])
        .json(&json!({"instances": [{"prompt": "a fox"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);

    let stopped = simulator.terminate(Duration::from_secs(20));
    assert!(
        stopped.is_some_and(|status| status.success()),
        "{stopped:?}"
    );
    assert!(!key_file.exists(), "{} left behind", key_file.display());
    assert!(!key_file.parent().unwrap().exists(), "its folder too");
}
