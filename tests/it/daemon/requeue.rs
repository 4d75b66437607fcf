//! A request set back to `queued` outside genworker (the Django admin's Status
//! field, plain SQL) is claimed whatever its history: its attempt number goes
//! on, a saved task is resumed rather than paid for again (unless the provider
//! reported that task failed), and it is never refunded twice.

use std::time::{Duration, Instant};

use genworker::simulator::{Knobs, Outcome};
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    an_errored_request_set_back_to_queued_is_claimed_within_one_poll_and_resumes_its_task,
    a_request_whose_task_failed_gets_a_new_task_when_set_back_to_queued,
    a_processing_request_set_back_to_queued_is_let_go_and_claimed_again,
);

/// Sets a request's status as the Django admin's change form does: that column only.
fn set_status_by_sql(h: &Harness, id: i64, status: &str) {
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = '{status}' WHERE id = {id}"
    ));
}

/// Waits until the request has left `queued`; returns how long that took.
async fn claimed_within(h: &Harness, id: i64, within: Duration) -> Duration {
    let started = Instant::now();
    h.wait_for(id, within, |request| request.status != "queued")
        .await;
    started.elapsed()
}

async fn an_errored_request_set_back_to_queued_is_claimed_within_one_poll_and_resumes_its_task(
    db: TestDb,
) {
    let poll = Duration::from_millis(500);
    let h = Harness::new(
        db,
        &[
            ("KLING_POLL_TIMEOUT", "0.3"),
            ("GENWORKER_POLL_INTERVAL", "0.5"),
        ],
    )
    .await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::NeverFinish,
        ..Knobs::default()
    });
    let request = h
        .enqueue("waits too long", "text2video", json!({}), Some(51))
        .await;
    let daemon = h.start("w", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert!(
        failed
            .error_message
            .starts_with("Ожидание результата Kling"),
        "{}",
        failed.error_message
    );
    assert_eq!(h.refund_count().await, 1);
    let refunded = h.balances().await;
    let task = failed.provider_job_id.clone();
    assert!(!task.is_empty());

    // The task finishes after all; an admin puts the request back.
    h.sim.set_knobs(Knobs {
        finish_after_ms: 0,
        ..Knobs::default()
    });
    set_status_by_sql(&h, request.id, "queued");
    let took = claimed_within(&h, request.id, poll * 4).await;
    assert!(
        took <= poll + Duration::from_millis(500),
        "claimed after {took:?}, the poll interval is {poll:?}"
    );
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    daemon.shutdown().await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(done.provider_job_id, task, "the saved task was resumed");
    assert_eq!(h.sim.task_count(), 1, "no second task paid for");
    let (holder, attempt, failures, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!((holder, attempt, failures, delivered), (None, 2, 0, true));
    assert_eq!(h.refund_count().await, 1, "the refund stands, once");
    assert_eq!(
        h.balances().await,
        refunded,
        "nothing charged or refunded again"
    );
    let told = h.sim.telegram_messages();
    assert_eq!(told.len(), 2, "the failure, then the video: {told:?}");
    assert_eq!(told[0].method, "sendMessage");
    assert_ne!(told[1].method, "sendMessage");
}

async fn a_request_whose_task_failed_gets_a_new_task_when_set_back_to_queued(db: TestDb) {
    let official = [
        ("KLING_API_STYLE", "official"),
        ("KLING_API_SECRET", "kling-secret"),
    ];
    let h = Harness::new(db, &official).await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "Failure to pass the risk control system".into(),
        },
        ..Knobs::default()
    });
    let request = h
        .enqueue("rejected once", "text2video", json!({}), Some(52))
        .await;
    let daemon = h.start("w", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(h.refund_count().await, 1);
    let refunded = h.balances().await;

    h.sim.set_knobs(Knobs::default());
    set_status_by_sql(&h, request.id, "queued");
    h.wait_for(request.id, Duration::from_secs(20), |row| {
        row.status == "done"
    })
    .await;
    daemon.shutdown().await;
    let done = h.request(request.id).await;
    assert_ne!(
        done.provider_job_id, failed.provider_job_id,
        "a new task, not the failed one"
    );
    let run_code = &request.run_code;
    assert_eq!(h.sim.creates_for(run_code), 1);
    assert_eq!(
        h.sim.creates_for(&format!("{run_code}-2")),
        1,
        "the new task has its own external_task_id"
    );
    assert_eq!(h.sim.task_count(), 2);
    assert_eq!(h.refund_count().await, 1, "refunded once, ever");
    assert_eq!(h.balances().await, refunded);
    assert_eq!(
        h.sim.telegram_messages().len(),
        2,
        "the failure, then the video"
    );
}

async fn a_processing_request_set_back_to_queued_is_let_go_and_claimed_again(db: TestDb) {
    // Leases of 3 s: the heartbeat, which notices the change, runs every second.
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 60_000,
        ..Knobs::default()
    });
    let request = h
        .enqueue("bumped while running", "text2video", json!({}), Some(53))
        .await;
    let daemon = h.start("w", &[]);
    h.wait_for(request.id, Duration::from_secs(20), |row| {
        row.status == "processing" && !row.provider_job_id.is_empty()
    })
    .await;
    set_status_by_sql(&h, request.id, "queued");
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.lease(request.id).await.unwrap().1 < 2 {
        assert!(Instant::now() < deadline, "never claimed again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.sim.set_knobs(Knobs {
        finish_after_ms: 0,
        ..Knobs::default()
    });
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    daemon.shutdown().await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(h.sim.task_count(), 1, "the running task was resumed");
    assert_eq!(h.refund_count().await, 0);
    assert_eq!(h.sim.telegram_messages().len(), 1, "told once");
}
