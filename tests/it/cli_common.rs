//! What every command shares, through the real binary: a closed standard output
//! ends it quietly, a database that refuses is reported at once with its cause,
//! the settings file takes only the variables' keys, and a bad setting of one
//! part (a provider's) stops only the commands that use it.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    TestDb, failure, genworker_cli, on_both_backends, postgres_admin_url, success,
};

on_both_backends!(
    a_closed_stdout_ends_every_printing_command_quietly,
    the_settings_file_takes_every_variable_and_refuses_other_keys,
    a_bad_provider_setting_stops_only_the_commands_that_use_it,
);

/// Waits for `child` to end, at most `limit`.
fn wait(child: &mut std::process::Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the command did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn a_closed_stdout_ends_every_printing_command_quietly(db: TestDb) {
    db.migrated().await;
    let slug = db.kling_slug();
    let id = success(&db.cli(&["enqueue", "--model", slug, "--prompt", "read by nobody"]));
    let id = id
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no id in {id}"))
        .to_owned();
    let commands: &[&[&str]] = &[
        &["models", "list"],
        &["models", "list", "--json"],
        &["models", "show", slug],
        &["models", "enable", slug],
        &["requests", "list"],
        &["requests", "list", "--json"],
        &["requests", "show", &id],
        &["requests", "watch"],
        &["requests", "watch", "--follow", "--every", "0.1"],
        &[
            "enqueue",
            "--model",
            slug,
            "--prompt",
            "also read by nobody",
        ],
        &["migrate"],
        &["migrate", "--check"],
        &["--help"],
    ];
    for args in commands {
        // `genworker … | head -0`: the reader is gone before the first line.
        let mut child = Command::new(env!("CARGO_BIN_EXE_genworker"))
            .args(*args)
            .current_dir(db.dir.path())
            .env("DATABASE_URL", db.url())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let status = wait(&mut child, Duration::from_secs(20));
        let output = child.wait_with_output().unwrap();
        let errors = String::from_utf8_lossy(&output.stderr);
        assert!(status.success(), "{args:?}: exit {status}: {errors}");
        for noise in ["error", "panicked", "Broken pipe"] {
            assert!(!errors.contains(noise), "{args:?} is not quiet: {errors}");
        }
    }
}

#[test]
fn postgres_a_refusing_database_is_reported_at_once_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let mut url = url::Url::parse(&postgres_admin_url()).unwrap();
    url.set_path("gw_no_such_database");
    url.set_password(Some("pw-never-shown-42")).unwrap();
    let mut no_role = url.clone();
    no_role.set_path("postgres");
    no_role.set_username("gw_no_such_role").unwrap();
    let cases = [
        (
            &url,
            &["models", "list"][..],
            "database \"gw_no_such_database\" does not exist",
        ),
        (
            &url,
            &["migrate"][..],
            "database \"gw_no_such_database\" does not exist",
        ),
        (
            &url,
            &["requests", "list"][..],
            "database \"gw_no_such_database\" does not exist",
        ),
        (
            &no_role,
            &["models", "list"][..],
            "role \"gw_no_such_role\" does not exist",
        ),
    ];
    for (url, args, cause) in cases {
        let started = Instant::now();
        let message = failure(&genworker_cli(
            dir.path(),
            &[("DATABASE_URL", url.as_str())],
            args,
        ));
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{args:?} took {took:?}: {message}"
        );
        assert!(message.contains(cause), "{args:?}: {message}");
        assert!(
            message.contains("connection failed: "),
            "{args:?}: {message}"
        );
        assert!(!message.contains("timed out"), "{args:?}: {message}");
        assert!(
            !message.contains("pw-never-shown-42"),
            "{args:?}: {message}"
        );
        assert!(
            message.contains(":***@"),
            "the URL is shown redacted: {message}"
        );
        assert_eq!(message.lines().count(), 1, "one line: {message}");
    }
}

#[test]
fn a_sqlite_file_that_is_no_database_is_reported_at_once_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite3");
    std::fs::write(&path, "these are notes, not a database\n".repeat(100)).unwrap();
    let url = format!("sqlite://{}", path.display());
    for args in [&["models", "list"][..], &["migrate"][..]] {
        let started = Instant::now();
        let message = failure(&genworker_cli(dir.path(), &[("DATABASE_URL", &url)], args));
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{args:?} took {took:?}: {message}"
        );
        assert!(
            message.contains("file is not a database"),
            "{args:?}: {message}"
        );
        assert!(!message.contains("timed out"), "{args:?}: {message}");
    }
}

/// A settings file with a legitimate key of every part of the settings.
fn settings_file(db: &TestDb, extra: &str) -> String {
    format!(
        "database_url = \"{}\"\n\
         genworker_db_pool_size = 2\n\
         log_format = \"text\"\n\
         genworker_concurrency = 4\n\
         genworker_poll_interval = 0.5\n\
         media_root = \"{}\"\n\
         s3_bucket = \"videos\"\n\
         s3_access_key_id = \"AKID\"\n\
         s3_secret_access_key = \"s3-secret\"\n\
         s3_public_url = \"https://cdn.example.com/videos\"\n\
         kling_api_key = \"kling-key\"\n\
         kling_extra_headers = '{{\"X-Client\": \"genworker\"}}'\n\
         telegram_bot_token = \"123:token\"\n\
         genworker_message_style = \"auto\"\n\
         public_base_url = \"https://bot.example.com\"\n\
         {extra}\n\
         [genworker_column_defaults]\n\
         \"botapp_genrequest.cost_usd\" = 0\n",
        db.url(),
        db.dir.path().join("media").display(),
    )
}

async fn the_settings_file_takes_every_variable_and_refuses_other_keys(db: TestDb) {
    db.migrated().await;
    let dir = db.dir.path();
    // Only the file names the database: it is read.
    std::fs::write(dir.join("genworker.toml"), settings_file(&db, "")).unwrap();
    let table = success(&genworker_cli(dir, &[], &["models", "list"]));
    assert!(table.contains(db.kling_slug()), "{table}");

    std::fs::write(
        dir.join("genworker.toml"),
        settings_file(&db, "kling_api_kee = \"typo\""),
    )
    .unwrap();
    let message = failure(&genworker_cli(dir, &[], &["models", "list"]));
    assert!(
        message.contains(
            "configuration file genworker.toml: unknown key `kling_api_kee` \
             (did you mean `kling_api_key`?)"
        ),
        "{message}"
    );
    let other = dir.join("other.toml");
    std::fs::write(
        &other,
        settings_file(&db, "DATABASE_URL = \"x\"\nretries = 3"),
    )
    .unwrap();
    let message = failure(&genworker_cli(
        dir,
        &[],
        &["--config", other.to_str().unwrap(), "requests", "list"],
    ));
    assert!(
        message.contains(&format!(
            "configuration file {}: unknown keys `DATABASE_URL` (keys are written in lower \
             case: `database_url`), `retries`;",
            other.display()
        )),
        "{message}"
    );
    // The environment is not the file: anything may be in it.
    std::fs::write(dir.join("genworker.toml"), settings_file(&db, "")).unwrap();
    success(&genworker_cli(
        dir,
        &[("GENWORKER_NOT_A_SETTING", "1")],
        &["models", "list"],
    ));
}

async fn a_bad_provider_setting_stops_only_the_commands_that_use_it(db: TestDb) {
    db.migrated().await;
    let dir = db.dir.path();
    let slug = db.kling_slug();
    let bad = [
        ("DATABASE_URL", db.url()),
        ("KLING_EXTRA_HEADERS", "{not json"),
        ("KLING_POLL_TIMEOUT", "soon"),
        ("TELEGRAM_API_BASE_URL", "ftp://nowhere"),
        ("S3_BUCKET", "half-configured"),
        ("GENWORKER_CONCURRENCY", "0"),
    ];
    let made = success(&genworker_cli(
        dir,
        &bad,
        &[
            "enqueue",
            "--model",
            slug,
            "--prompt",
            "despite Kling's settings",
        ],
    ));
    let id = made.split_whitespace().nth(2).unwrap().to_owned();
    let commands: &[&[&str]] = &[
        &["models", "list"],
        &["models", "show", slug],
        &["models", "set", slug, "--order", "36"],
        &["requests", "list"],
        &["requests", "show", &id],
        &["requests", "watch"],
        &["migrate"],
        &["migrate", "--check"],
    ];
    for args in commands {
        success(&genworker_cli(dir, &bad, args));
    }
    // Telling the user needs Telegram: refused before anything changes.
    let message = failure(&genworker_cli(dir, &bad, &["requests", "cancel", &id]));
    assert!(
        message.contains("configuration error: TELEGRAM_API_BASE_URL: "),
        "{message}"
    );
    let listed = success(&genworker_cli(dir, &bad, &["requests", "list"]));
    assert!(listed.contains("queued"), "nothing was cancelled: {listed}");
    success(&genworker_cli(
        dir,
        &bad,
        &["requests", "cancel", &id, "--no-notify"],
    ));
    // `run` uses every part, so it names the bad value, before any work.
    let only_kling = [
        ("DATABASE_URL", db.url()),
        ("KLING_EXTRA_HEADERS", "{not json"),
    ];
    let message = failure(&genworker_cli(dir, &only_kling, &["run"]));
    assert!(
        message.contains("configuration error: KLING_EXTRA_HEADERS: not JSON"),
        "{message}"
    );
}

#[test]
fn simulate_starts_whatever_the_provider_settings_say() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genworker"))
        .args(["simulate", "--port", "0"])
        .current_dir(dir.path())
        .env_clear()
        .env("KLING_EXTRA_HEADERS", "{not json")
        .env("KLING_API_BASE_URL", "not a url")
        .env("TELEGRAM_API_BASE_URL", "ftp://nowhere")
        .env("DATABASE_URL", "mysql://not/ours")
        .env("KLING_API_KEY", "sim-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("export KLING_API_BASE_URL=") {
        // A failed start ends the output (read_line gives 0) and the assertion says why.
        let read = stdout.read_line(&mut seen).unwrap();
        assert!(read > 0, "the simulator did not start: {seen}");
    }
    assert!(
        seen.starts_with("# genworker simulator on http://127.0.0.1:")
            && !seen.contains("127.0.0.1:0"),
        "{seen}"
    );
    // Its signal handlers are in place before it prints: SIGTERM at once stops it cleanly.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait(&mut child, Duration::from_secs(10));
    assert!(status.success(), "exit {status}");
}
