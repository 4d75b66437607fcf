//! `genworker models …` through the real binary: output, changes, and every
//! error case exiting non-zero with a clear message and nothing written.

mod change;
mod view;

use serde_json::Value;

use crate::support::{TestDb, failure, genworker_cli, success};

/// `models show <the Kling model> --json`, parsed.
fn show_json(db: &TestDb) -> Value {
    serde_json::from_str(&success(&db.cli(&[
        "models",
        "show",
        db.kling_slug(),
        "--json",
    ])))
    .unwrap()
}

#[test]
fn an_unreachable_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let output = genworker_cli(
        dir.path(),
        &[(
            "DATABASE_URL",
            "postgres://postgres:s3cret@127.0.0.1:9/none",
        )],
        &["models", "list"],
    );
    let stderr = failure(&output);
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "password leaked: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn a_missing_sqlite_file_is_not_created_by_a_catalog_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.sqlite3");
    let url = format!("sqlite://{}", path.display());
    let stderr = failure(&genworker_cli(
        dir.path(),
        &[("DATABASE_URL", &url)],
        &["models", "list"],
    ));
    assert!(
        stderr.contains("does not exist; run `genworker migrate`"),
        "{stderr}"
    );
    assert!(!path.exists());
}

#[test]
fn bad_configuration_stops_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = failure(&genworker_cli(
        dir.path(),
        &[("GENWORKER_DB_POOL_SIZE", "lots")],
        &["models", "list"],
    ));
    assert_eq!(
        stderr.trim(),
        "error: configuration error: GENWORKER_DB_POOL_SIZE: expected a whole number of at least 1, got `lots`"
    );
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &[],
        &["migrate"],
        &["models"],
        &["models", "list"],
        &["models", "show"],
        &["models", "enable"],
        &["models", "disable"],
        &["models", "set"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let stdout = success(&genworker_cli(dir.path(), &[], &args));
        assert!(stdout.contains("Usage: genworker"), "{args:?}: {stdout}");
    }
}
