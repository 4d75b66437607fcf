//! `genworker requests list|show`: the list's filters, limit and columns, and
//! every field of one request with its lease and refund.

use serde_json::{Value, json};

use super::setup::{Lease, put_lease, put_refund, set_created_ago, set_request};
use super::{enqueue_id, list, show};
use crate::support::{BotRelease, TestDb, failure, on_every_schema, success};

on_every_schema!(
    list_filters_limits_and_shows_paused_attempt_and_task,
    show_prints_every_column_the_lease_and_the_refund,
    list_refuses_an_unknown_status_naming_the_valid_ones,
);

async fn list_refuses_an_unknown_status_naming_the_valid_ones(db: TestDb) {
    let pool = db.migrated().await;
    let cancelled = enqueue_id(&db, &["--prompt", "cancelled"]);
    set_request(&pool, cancelled, "cancelled", "").await;
    for status in ["bogus", "Done", "failed"] {
        let output = db.cli(&["requests", "list", "--status", status]);
        let message = failure(&output);
        assert_eq!(output.status.code(), Some(2), "{status}: {message}");
        assert!(
            message.contains(&format!("invalid value '{status}' for '--status <STATUS>'")),
            "{status}: {message}"
        );
        assert!(
            message.contains("[possible values: queued, processing, done, error, cancelled]"),
            "{status}: {message}"
        );
        assert!(output.stdout.is_empty(), "{status}: no table is printed");
    }
    // Every valid one is taken.
    let rows = list(&db, &["--status", "cancelled"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], cancelled.to_string());
    for status in ["queued", "processing", "done", "error"] {
        assert!(list(&db, &["--status", status]).is_empty(), "{status}");
    }
}

async fn list_filters_limits_and_shows_paused_attempt_and_task(db: TestDb) {
    let pool = db.migrated().await;
    let old = enqueue_id(&db, &["--prompt", "old"]);
    let running = enqueue_id(&db, &["--prompt", "running"]);
    let waiting = enqueue_id(&db, &["--prompt", "waiting"]);
    set_created_ago(&pool, old, 2 * 86_400 + 5).await;
    set_created_ago(&pool, running, 3 * 3_600 + 5).await;
    set_created_ago(&pool, waiting, 12 * 60 + 5).await;
    set_request(&pool, old, "done", "task-old").await;
    set_request(&pool, running, "processing", "task-abc").await;
    put_lease(&pool, running, Lease::live("w1", 2)).await;

    let rows = list(&db, &[]);
    let ids: Vec<String> = rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(
        ids,
        [waiting, running, old].map(|id| id.to_string()),
        "newest first"
    );
    let code = show(&db, running)["run_code"].as_str().unwrap().to_owned();
    let running_id = running.to_string();
    let expected = [
        running_id.as_str(),
        &code,
        db.kling_slug(),
        "processing",
        "3h",
        "2",
        "task-abc",
    ];
    assert_eq!(rows[1], expected);
    assert_eq!(rows[0][3..], ["queued", "12m", "-", "-"]);
    assert_eq!(rows[2][3..], ["done", "2d", "-", "task-old"]);

    assert_eq!(list(&db, &["--status", "processing"]).len(), 1);
    assert_eq!(
        list(&db, &["--status", "processing"])[0][0],
        running.to_string()
    );
    assert!(list(&db, &["--status", "error"]).is_empty());
    assert_eq!(list(&db, &["--limit", "2"]).len(), 2);
    assert_eq!(list(&db, &["--limit", "2"])[1][0], running.to_string());

    success(&db.cli(&["models", "disable", db.kling_slug()]));
    let rows = list(&db, &[]);
    assert_eq!(rows[0][3], "queued (paused)");
    assert_eq!(
        rows[1][3], "processing",
        "in-flight requests are not paused"
    );
    let json: Value = serde_json::from_str(&success(
        &db.cli(&["requests", "list", "--json", "--limit", "1"]),
    ))
    .unwrap();
    let only = &json.as_array().unwrap()[..];
    assert_eq!(only.len(), 1);
    assert_eq!(
        (&only[0]["status"], &only[0]["paused"]),
        (&json!("queued"), &json!(true))
    );
    assert!(only[0]["age_seconds"].as_u64().unwrap() >= 12 * 60);
    success(&db.cli(&["models", "enable", db.kling_slug()]));
    assert_eq!(list(&db, &[])[0][3], "queued");
}

async fn show_prints_every_column_the_lease_and_the_refund(db: TestDb) {
    let pool = db.migrated().await;
    let id = enqueue_id(&db, &["--prompt", "shown"]);
    let json = show(&db, id);
    let fields = json.as_object().unwrap();
    // The latest release adds cost_usd.
    let columns = match db.release {
        BotRelease::Seed => 28,
        BotRelease::Latest => 29,
    };
    assert_eq!(
        fields.len(),
        columns + 3,
        "every botapp_genrequest column, paused, lease, refund"
    );
    let text = success(&db.cli(&["requests", "show", &id.to_string()]));
    for key in fields
        .keys()
        .filter(|key| !["lease", "refund"].contains(&key.as_str()))
    {
        assert!(
            text.lines().any(|line| line.starts_with(key.as_str())),
            "{key}:\n{text}"
        );
    }
    assert!(text.contains("none (never claimed)"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.starts_with("refunded") && line.ends_with("no"))
    );

    set_request(&pool, id, "error", "task-9").await;
    put_lease(
        &pool,
        id,
        Lease {
            worker: None,
            attempt: 3,
            failures: 2,
            ago: 60,
            delivered: true,
        },
    )
    .await;
    put_refund(&pool, id, 4242).await;
    let json = show(&db, id);
    assert_eq!(json["lease"]["worker_id"], Value::Null);
    assert_eq!(json["lease"]["attempt"], 3);
    assert_eq!(json["lease"]["failures"], 2);
    assert_eq!(json["lease"]["last_error"], "timeout");
    assert_eq!(json["lease"]["delivered"], true);
    assert!(json["lease"]["lease_expires_at"].is_string());
    assert_eq!(json["refund"]["transaction_id"], 4242);
    let text = success(&db.cli(&["requests", "show", &id.to_string()]));
    for line in [
        "lease.attempt",
        "lease.failures",
        "lease.lease_expires_at",
        "lease.delivered",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    assert!(text.contains("yes: transaction 4242"), "{text}");
    let stderr = failure(&db.cli(&["requests", "show", "999"]));
    assert!(
        stderr.contains("no generation request with id 999"),
        "{stderr}"
    );
}
