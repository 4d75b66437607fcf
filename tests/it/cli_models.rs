//! `genworker models …` through the real binary: output, changes, and every
//! error case exiting non-zero with a clear message and nothing written.

use serde_json::Value;

use crate::support::{TestDb, failure, genworker_cli, on_both_backends, success};

on_both_backends!(
    list_shows_an_aligned_table_and_json,
    show_prints_every_field,
    enable_disable_and_set_change_the_row_and_updated_at,
    invalid_changes_exit_non_zero_and_write_nothing,
);

fn show_json(db: &TestDb) -> Value {
    serde_json::from_str(&success(&db.cli(&["models", "show", "kling-v1", "--json"]))).unwrap()
}

async fn list_shows_an_aligned_table_and_json(db: TestDb) {
    db.migrated().await;
    let table = success(&db.cli(&["models", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    for heading in [
        "SLUG",
        "DISPLAY NAME",
        "PROVIDER",
        "TYPE",
        "PRICE",
        "ACTIVE",
        "IMAGE INPUT",
        "ORDER",
    ] {
        assert!(lines[0].contains(heading), "{heading} missing: {table}");
    }
    let row: Vec<&str> = lines[1]
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        row,
        [
            "kling-v1",
            "🎥 Kling (Kuaishou)",
            "kling",
            "video",
            "69.00",
            "yes",
            "yes",
            "35"
        ]
    );
    // Aligned: the PRICE column starts at the same display column in both lines.
    let column_of = |line: &str, text: &str| {
        let byte = line.find(text).unwrap();
        unicode_width(&line[..byte])
    };
    assert_eq!(column_of(lines[0], "PRICE"), column_of(lines[1], "69.00"));

    let json: Value =
        serde_json::from_str(&success(&db.cli(&["models", "list", "--json"]))).unwrap();
    let models = json.as_array().unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["slug"], "kling-v1");
    assert_eq!(models[0]["price"], "69.00");
}

/// Display width: the emoji in the display name takes two columns.
fn unicode_width(text: &str) -> usize {
    text.chars()
        .map(|ch| if ch as u32 >= 0x1F000 { 2 } else { 1 })
        .sum()
}

async fn show_prints_every_field(db: TestDb) {
    db.migrated().await;
    let text = success(&db.cli(&["models", "show", "kling-v1"]));
    let json = show_json(&db);
    let fields = json.as_object().unwrap();
    assert_eq!(fields.len(), 28, "one entry per botapp_aimodel column");
    for key in fields.keys() {
        assert!(
            text.lines().any(|line| line.starts_with(key.as_str())),
            "{key} missing:\n{text}"
        );
    }
    assert_eq!(json["allowed_params"]["fps"]["max"], 30);
    assert_eq!(json["is_active"], true);
}

async fn enable_disable_and_set_change_the_row_and_updated_at(db: TestDb) {
    db.migrated().await;
    let before = show_json(&db);
    success(&db.cli(&["models", "disable", "kling-v1"]));
    let disabled = show_json(&db);
    assert_eq!(disabled["is_active"], false);
    assert_ne!(disabled["updated_at"], before["updated_at"]);

    success(&db.cli(&[
        "models",
        "set",
        "kling-v1",
        "--price",
        "79.50",
        "--order",
        "10",
        "--display-name",
        "Kling 2",
        "--default-param",
        "duration=12",
        "--default-param",
        "kling_options={\"style\":\"anime\"}",
    ]));
    let set = show_json(&db);
    assert_eq!(set["price"], "79.50");
    assert_eq!(set["order"], 10);
    assert_eq!(set["display_name"], "Kling 2");
    assert_eq!(set["default_params"]["duration"], 12);
    assert_eq!(set["default_params"]["kling_options"]["style"], "anime");
    assert_eq!(
        set["default_params"]["resolution"], "1080p",
        "other keys stay"
    );
    assert_eq!(set["is_active"], false);
    assert!(set["updated_at"].as_str() > disabled["updated_at"].as_str());

    success(&db.cli(&["models", "enable", "kling-v1"]));
    assert_eq!(show_json(&db)["is_active"], true);
}

async fn invalid_changes_exit_non_zero_and_write_nothing(db: TestDb) {
    db.migrated().await;
    let before = show_json(&db);
    let cases: &[(&[&str], &str)] = &[
        (
            &["models", "set", "nope", "--price", "1"],
            "no AI model with slug `nope`",
        ),
        (
            &["models", "enable", "nope"],
            "no AI model with slug `nope`",
        ),
        (
            &["models", "disable", "nope"],
            "no AI model with slug `nope`",
        ),
        (&["models", "show", "nope"], "no AI model with slug `nope`"),
        (
            &["models", "set", "kling-v1", "--price", "79.505"],
            "at most 2 places",
        ),
        (
            &["models", "set", "kling-v1", "--price", "10000"],
            "does not fit numeric(6,2)",
        ),
        (
            &["models", "set", "kling-v1", "--price", "cheap"],
            "not a decimal",
        ),
        (
            &[
                "models",
                "set",
                "kling-v1",
                "--default-param",
                "resolution=720p",
            ],
            "is not JSON",
        ),
        (
            &[
                "models",
                "set",
                "kling-v1",
                "--display-name",
                &"x".repeat(101),
            ],
            "at most 100",
        ),
        (&["models", "set", "kling-v1"], "nothing to change"),
    ];
    for (args, message) in cases {
        let stderr = failure(&db.cli(args));
        assert!(
            stderr.contains(message),
            "{args:?}: expected `{message}` in: {stderr}"
        );
        assert_eq!(show_json(&db), before, "{args:?} wrote something");
    }
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
