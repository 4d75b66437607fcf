//! `genworker enqueue` and `genworker requests …` through the real binary: every
//! column written as the bot writes it, the user's charge, the list and show
//! output, and requeue/cancel with every refusal leaving the database unchanged.

mod insert;
mod inspect;
mod manage;
mod setup;
mod watch;

use serde_json::Value;

use crate::support::{TestDb, genworker_cli, success};

/// Runs `enqueue … --json` and returns its output.
fn enqueue(db: &TestDb, args: &[&str]) -> Value {
    let mut all = vec!["enqueue", "--model", db.kling_slug(), "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&success(&db.cli(&all))).unwrap()
}

fn enqueue_id(db: &TestDb, args: &[&str]) -> i64 {
    enqueue(db, args)["id"].as_i64().unwrap()
}

fn show(db: &TestDb, id: i64) -> Value {
    let id = id.to_string();
    serde_json::from_str(&success(&db.cli(&["requests", "show", &id, "--json"]))).unwrap()
}

/// The rows of `requests list …` as cells (columns are two or more spaces apart).
fn list(db: &TestDb, args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["requests", "list"];
    all.extend_from_slice(args);
    let table = success(&db.cli(&all));
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    for heading in [
        "ID", "RUN CODE", "MODEL", "STATUS", "AGE", "ATTEMPT", "TASK ID",
    ] {
        assert!(header.contains(heading), "{heading} missing: {table}");
    }
    lines
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn every_queue_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &["enqueue"],
        &["requests"],
        &["requests", "list"],
        &["requests", "show"],
        &["requests", "requeue"],
        &["requests", "cancel"],
        &["requests", "watch"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let stdout = success(&genworker_cli(dir.path(), &[], &args));
        assert!(stdout.contains("Usage: genworker"), "{args:?}: {stdout}");
    }
}
