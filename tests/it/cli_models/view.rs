//! `genworker models list|show`: the aligned table, the JSON, every field.

use serde_json::Value;

use super::show_json;
use crate::support::{BotRelease, TestDb, on_every_schema, success};

on_every_schema!(
    list_shows_an_aligned_table_and_json,
    show_prints_every_field
);

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
