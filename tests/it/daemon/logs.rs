//! Logs tools can read: one `message` key per JSON line, the error under
//! `error`, a refund's amount and transaction as plain fields, no blank lines,
//! and database errors with their real cause.

use std::time::{Duration, Instant};

use genworker::simulator::{Knobs, Outcome};
use serde_json::{Value, json};

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(a_failure_is_one_json_line_with_plain_fields,);

async fn a_failure_is_one_json_line_with_plain_fields(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "NSFW content".into(),
        },
        ..Knobs::default()
    });
    let request = h
        .enqueue("refused", "text2video", json!({}), Some(71))
        .await;
    let daemon = h.spawn_binary(&[("LOG_FORMAT", "json")]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    // The line is written after the row; wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !daemon.logs().contains("\"request failed\"") {
        assert!(
            Instant::now() < deadline,
            "no failure line:\n{}",
            daemon.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let logs = daemon.kill_and_logs();
    for line in logs.lines() {
        assert!(!line.trim().is_empty(), "a blank line in:\n{logs}");
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(parsed.is_object(), "{line}");
        assert_eq!(
            line.matches("\"message\":").count(),
            1,
            "one message key: {line}"
        );
    }
    let failed: Value = logs
        .lines()
        .find(|line| line.contains("\"request failed\""))
        .map(|line| serde_json::from_str(line).unwrap())
        .unwrap();
    let transactions = h.transactions().await;
    let refund = transactions.last().unwrap();
    assert_eq!(failed["message"], "request failed");
    assert_eq!(
        failed["error"],
        format!(
            "Kling отклонил задачу {}: NSFW content",
            h.request(request.id).await.provider_job_id
        )
    );
    assert_eq!(failed["refund"], "refunded");
    assert_eq!(failed["refund.transaction_id"], json!(refund.id));
    let amount: bigdecimal::BigDecimal = failed["refund.amount"]
        .as_str()
        .unwrap_or_else(|| panic!("the amount as plain text: {failed}"))
        .parse()
        .unwrap();
    assert_eq!(amount, refund.amount);
    assert!(
        !logs.contains("BigDecimal") && !logs.contains("Refunded {"),
        "{logs}"
    );
}

#[tokio::test]
async fn postgres_a_lost_listen_connection_is_logged_with_its_cause() {
    let h = Harness::new(TestDb::postgres(), &[]).await;
    let daemon = h.spawn_binary(&[("RUST_LOG", "genworker=debug")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !daemon.logs().contains("listening for queued requests") {
        assert!(
            Instant::now() < deadline,
            "never listened:\n{}",
            daemon.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    h.drop_postgres_database();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !daemon.logs().contains("LISTEN connection lost") {
        assert!(
            Instant::now() < deadline,
            "no lost line:\n{}",
            daemon.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let logs = daemon.kill_and_logs();
    assert!(!logs.lines().any(|line| line.trim().is_empty()), "{logs}");
    let lost = logs
        .lines()
        .find(|line| line.contains("LISTEN connection lost"))
        .unwrap();
    assert!(
        lost.contains("error=db error: FATAL: terminating connection due to administrator command"),
        "{lost}"
    );
}
