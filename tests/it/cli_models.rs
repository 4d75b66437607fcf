//! `genworker models …` through the real binary: output, changes, and every
//! error case exiting non-zero with a clear message and nothing written.

use serde_json::Value;

use crate::support::{BotRelease, TestDb, failure, genworker_cli, on_every_schema, success};

on_every_schema!(
    list_shows_an_aligned_table_and_json,
    show_prints_every_field,
    enable_disable_and_set_change_the_row_and_updated_at,
    invalid_changes_exit_non_zero_and_write_nothing,
    a_negative_price_is_taken_as_a_value_and_refused_as_negative,
);

async fn a_negative_price_is_taken_as_a_value_and_refused_as_negative(db: TestDb) {
    db.migrated().await;
    let before = show_json(&db);
    let slug = db.kling_slug();
    let cases: [(&[&str], &str); 3] = [
        (&["models", "set", slug, "--price", "-5"], "-5"),
        (&["models", "set", slug, "--price", "-0.50"], "-0.50"),
        (&["models", "set", slug, "--price=-79.50"], "-79.50"),
    ];
    for (args, price) in cases {
        let message = failure(&db.cli(args));
        assert!(
            message.contains(&format!(
                "price `{price}` is negative: a price is 0 or more, such as 79.50"
            )),
            "{args:?}: {message}"
        );
        assert!(!message.contains("unexpected argument"), "{message}");
    }
    // Other numbers keep their meaning: a negative menu position is a value too.
    success(&db.cli(&["models", "set", slug, "--order", "-3"]));
    let after = show_json(&db);
    assert_eq!(after["price"], before["price"], "no price was written");
    assert_eq!(after["order"], -3);
}

fn show_json(db: &TestDb) -> Value {
    serde_json::from_str(&success(&db.cli(&[
        "models",
        "show",
        db.kling_slug(),
        "--json",
    ])))
    .unwrap()
}

async fn list_shows_an_aligned_table_and_json(db: TestDb) {
    db.migrated().await;
    let kling = db.kling();
    let models = match db.release {
        BotRelease::Seed => 1,
        BotRelease::Latest => 20,
    };
    let table = success(&db.cli(&["models", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + models, "{table}");
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
    let line = lines
        .iter()
        .find(|line| line.trim_start().starts_with(&format!("{} ", kling.slug)))
        .unwrap();
    let row: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        row,
        [
            kling.slug,
            kling.display_name,
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
    assert_eq!(column_of(lines[0], "PRICE"), column_of(line, "69.00"));

    let json: Value =
        serde_json::from_str(&success(&db.cli(&["models", "list", "--json"]))).unwrap();
    let listed = json.as_array().unwrap();
    assert_eq!(listed.len(), models);
    let found = listed.iter().find(|m| m["slug"] == kling.slug).unwrap();
    assert_eq!(found["price"], "69.00");
}

/// Display width: the emoji in the display name takes two columns.
fn unicode_width(text: &str) -> usize {
    text.chars()
        .map(|ch| if ch as u32 >= 0x1F000 { 2 } else { 1 })
        .sum()
}

async fn show_prints_every_field(db: TestDb) {
    db.migrated().await;
    let text = success(&db.cli(&["models", "show", db.kling_slug()]));
    let json = show_json(&db);
    let fields = json.as_object().unwrap();
    assert_eq!(
        fields.len(),
        db.kling().columns,
        "one entry per botapp_aimodel column"
    );
    if db.release == BotRelease::Latest {
        assert_eq!(
            (
                &json["unit_cost_usd"],
                &json["base_cost_usd"],
                &json["cost_unit"]
            ),
            (
                &Value::from("0.0420"),
                &Value::from("0.0420"),
                &Value::from("second")
            )
        );
    }
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
    let slug = db.kling_slug();
    success(&db.cli(&["models", "disable", slug]));
    let disabled = show_json(&db);
    assert_eq!(disabled["is_active"], false);
    assert_ne!(disabled["updated_at"], before["updated_at"]);

    success(&db.cli(&[
        "models",
        "set",
        slug,
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

    success(&db.cli(&["models", "enable", slug]));
    assert_eq!(show_json(&db)["is_active"], true);
}

async fn invalid_changes_exit_non_zero_and_write_nothing(db: TestDb) {
    db.migrated().await;
    let before = show_json(&db);
    let slug = db.kling_slug();
    // The bound comes from the live column: numeric(6,2) here, numeric(8,2) at the latest release.
    let (too_big, bound) = match (db.release, db.is_postgres()) {
        (BotRelease::Seed, true) => (
            "10000",
            "botapp_aimodel.price (numeric(6,2)): at most 9999.99",
        ),
        (BotRelease::Seed, false) => ("10000", "botapp_aimodel.price (decimal): at most 9999.99"),
        (BotRelease::Latest, _) => (
            "1000000",
            "botapp_aimodel.price (numeric(8,2)): at most 999999.99",
        ),
    };
    let long_name = "x".repeat(101);
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
            &["models", "set", slug, "--price", "79.505"],
            "has 3 decimal places; botapp_aimodel.price",
        ),
        (&["models", "set", slug, "--price", too_big], bound),
        (
            &["models", "set", slug, "--price", "cheap"],
            "not a plain decimal",
        ),
        (
            &["models", "set", slug, "--default-param", "resolution=720p"],
            "is not JSON",
        ),
        (
            &["models", "set", slug, "--display-name", &long_name],
            "botapp_aimodel.display_name holds at most 100",
        ),
        (&["models", "set", slug], "nothing to change"),
        (
            &["models", "set", slug, "--default-param", "duration=99"],
            "duration 99 is not allowed for",
        ),
        (
            &[
                "models",
                "set",
                slug,
                "--default-param",
                "resolution=\"4k\"",
            ],
            "allowed_params.resolution allows one of \"720p\", \"1080p\"",
        ),
        (
            &["models", "set", slug, "--remove-default-param", "nope"],
            "has no key `nope`",
        ),
        (
            &[
                "models",
                "set",
                slug,
                "--remove-default-param",
                "duration",
                "--remove-default-param",
                "resolution",
                "--remove-default-param",
                "aspect_ratio",
                "--remove-default-param",
                "enable_audio",
            ],
            "would be empty, which the Django admin rejects",
        ),
    ];
    for (args, message) in cases {
        let stderr = failure(&db.cli(args));
        assert!(
            stderr.contains(message),
            "{args:?}: expected `{message}` in: {stderr}"
        );
        assert_eq!(show_json(&db), before, "{args:?} wrote something");
    }
    if db.release == BotRelease::Latest {
        success(&db.cli(&["models", "set", slug, "--price", "123456.78"]));
        assert_eq!(show_json(&db)["price"], "123456.78");
        // An `options` list (the latest catalog's kling-v2-6 `duration`) and a list (`mode`).
        let stderr = failure(&db.cli(&[
            "models",
            "set",
            "kling-v2-6",
            "--default-param",
            "duration=7",
        ]));
        assert!(
            stderr.contains("duration 7 is not allowed for kling-v2-6: allowed_params.duration allows one of 5, 10"),
            "{stderr}"
        );
        let stderr = failure(&db.cli(&[
            "models",
            "set",
            "kling-v2-6",
            "--default-param",
            "mode=\"turbo\"",
        ]));
        assert!(
            stderr.contains("mode \"turbo\" is not allowed for kling-v2-6: allowed_params.mode allows one of \"std\", \"pro\""),
            "{stderr}"
        );
        success(&db.cli(&[
            "models",
            "set",
            "kling-v2-6",
            "--default-param",
            "mode=\"pro\"",
        ]));
    }
    // A key removed; the others stay.
    success(&db.cli(&[
        "models",
        "set",
        slug,
        "--remove-default-param",
        "enable_audio",
    ]));
    let defaults = show_json(&db)["default_params"].clone();
    assert!(defaults.get("enable_audio").is_none(), "{defaults}");
    assert_eq!(defaults["duration"], 10);
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
