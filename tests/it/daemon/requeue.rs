//! A request set back to `queued` outside genworker (the Django admin's Status
//! field, plain SQL) is claimed whatever its history: its attempt number goes
//! on, a saved task is resumed rather than paid for again (unless the provider
//! reported that task failed), and it is never refunded twice. Run with the
//! instant provider, but for the requeue of a running task, which needs one
//! that runs long enough for the heartbeat to see it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use genworker::i18n::UserText;
use genworker::provider::ProviderError;
use genworker::provider::instant::{Fault, InstantProvider, Script};
use genworker::simulator::Knobs;
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    an_errored_request_set_back_to_queued_is_claimed_at_once_and_resumes_its_task,
    a_request_whose_task_failed_gets_a_new_task_when_set_back_to_queued,
    a_processing_request_set_back_to_queued_is_let_go_and_claimed_again,
);

/// Sets a request's status as the Django admin's change form does: that column only.
fn set_status_by_sql(h: &Harness, id: i64, status: &str) {
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = '{status}' WHERE id = {id}"
    ));
}

/// A scripted instant provider serving `kling`.
fn instant(script: &Arc<Script>) -> InstantProvider {
    InstantProvider::scripted("kling", 8, script.clone())
}

/// Longest an instant run below may take.
const WITHIN: Duration = Duration::from_secs(20);

async fn an_errored_request_set_back_to_queued_is_claimed_at_once_and_resumes_its_task(db: TestDb) {
    // A poll interval far over WITHIN: a run ends in time only if its first
    // claim (at start, or as a job ends) finds the request claimable.
    let h = Harness::instant(db, &[("GENWORKER_POLL_INTERVAL", "60")]).await;
    let timed_out = UserText::new("Ожидание результата истекло", "The wait ran out");
    let script = Script::new([Fault::Answer(ProviderError::Fatal(timed_out))]);
    let request = h
        .enqueue("waits too long", "text2video", json!({}), Some(51))
        .await;
    h.run_until_idle("w", &[], instant(&script), WITHIN).await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(failed.error_message, "Ожидание результата истекло");
    assert_eq!(h.refund_count().await, 1);
    let refunded = h.balances().await;
    let task = failed.provider_job_id.clone();
    assert_eq!(task, format!("instant-{}", request.run_code));

    // The task finishes after all; an admin puts the request back.
    set_status_by_sql(&h, request.id, "queued");
    h.run_until_idle("w", &[], instant(&script), WITHIN).await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(done.provider_job_id, task, "the saved task was resumed");
    assert_eq!(script.submits(), 1, "no second task paid for");
    assert_eq!(script.polls(), 1, "the saved task was asked for its state");
    let (holder, attempt, failures, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!((holder, attempt, failures, delivered), (None, 2, 0, true));
    assert_eq!(h.refund_count().await, 1, "the refund stands, once");
    assert_eq!(
        h.balances().await,
        refunded,
        "nothing charged or refunded again"
    );
}

async fn a_request_whose_task_failed_gets_a_new_task_when_set_back_to_queued(db: TestDb) {
    let h = Harness::instant(db, &[]).await;
    let rejected = UserText::new("Задача отклонена", "The task was rejected");
    let script = Script::new([Fault::Answer(ProviderError::TaskFailed(rejected))]);
    let request = h
        .enqueue("rejected once", "text2video", json!({}), Some(52))
        .await;
    h.run_until_idle("w", &[], instant(&script), WITHIN).await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(h.refund_count().await, 1);
    let refunded = h.balances().await;
    let run_code = &request.run_code;
    assert_eq!(failed.provider_job_id, format!("instant-{run_code}"));

    set_status_by_sql(&h, request.id, "queued");
    h.run_until_idle("w", &[], instant(&script), WITHIN).await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(
        done.provider_job_id,
        format!("instant-{run_code}-2"),
        "a new task with its own task key, not the failed one"
    );
    assert_eq!(script.submits(), 2, "one task each");
    assert_eq!(script.polls(), 0, "the failed task was not resumed");
    assert_eq!(h.refund_count().await, 1, "refunded once, ever");
    assert_eq!(h.balances().await, refunded);
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
