//! `genworker models enable|disable|set`: the row and `updated_at` changed, and
//! every invalid change refused with a clear message and nothing written.

use super::show_json;
use crate::support::{BotRelease, TestDb, failure, on_every_schema, success};

on_every_schema!(
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
