//! What every command shares, through the real binary: a database that refuses
//! is reported at once with its cause, and the settings file takes only the
//! variables' keys.

use std::time::{Duration, Instant};

use crate::support::{
    TestDb, failure, genworker_cli, on_both_backends, postgres_admin_url, success,
};

on_both_backends!(the_settings_file_takes_every_variable_and_refuses_other_keys);

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
