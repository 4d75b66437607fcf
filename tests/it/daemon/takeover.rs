//! Liveness, not only leases: a dead worker's jobs are taken over at once, not
//! after `GENWORKER_LEASE_SECONDS`. A killed daemon process (its lock is let go
//! with it) is resumed by the next claimer on the same host within the task's
//! own time, its saved tasks not paid again; on PostgreSQL a worker whose
//! liveness session is terminated is taken for dead after the grace, its saved
//! tasks resumed elsewhere, and it writes nothing more to them when it returns.

use std::time::{Duration, Instant};

use genworker::simulator::{Endpoint, Knobs};
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    a_killed_daemon_is_taken_over_at_once_by_a_restart_on_the_same_host,
    a_clean_stop_leaves_the_worker_registry,
);

/// Far longer than any wait below: only the takeover can make these pass.
const LEASE: &str = "60";
/// The simulator's task time.
const TASK: Duration = Duration::from_secs(3);

async fn a_killed_daemon_is_taken_over_at_once_by_a_restart_on_the_same_host(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: TASK.as_millis() as u64,
        ..Knobs::default()
    });
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            h.enqueue(
                &format!("survive {n}"),
                "text2video",
                json!({}),
                Some(60 + n),
            )
            .await
            .id,
        );
    }
    let doomed = h.spawn_binary(&[
        ("GENWORKER_WORKER_ID", "doomed"),
        ("GENWORKER_LEASE_SECONDS", LEASE),
    ]);
    for id in &ids {
        h.wait_for(*id, Duration::from_secs(20), |r| {
            !r.provider_job_id.is_empty()
        })
        .await;
    }
    let _ = doomed.kill_and_logs();
    let killed = Instant::now();
    let heir = h.start("heir", &[("GENWORKER_LEASE_SECONDS", LEASE)]);
    h.wait_final(&ids, Duration::from_secs(20)).await;
    let took = killed.elapsed();
    heir.shutdown().await;
    assert!(
        took < TASK + Duration::from_secs(3),
        "all done {took:?} after the kill; the lease is {LEASE} s"
    );
    for id in &ids {
        assert_eq!(h.request(*id).await.status, "done");
        let (_, attempt, _, delivered) = h.lease(*id).await.unwrap();
        assert_eq!((attempt, delivered), (2, true), "request {id}");
    }
    assert_eq!(h.sim.calls(Endpoint::KlingCreate), 4, "no task paid twice");
    assert_eq!(h.refund_count().await, 0);
    assert_eq!(
        h.registered_workers().await,
        0,
        "the dead one's row is gone"
    );
}

async fn a_clean_stop_leaves_the_worker_registry(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let running = h.start("tidy", &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.registered_workers().await == 0 {
        assert!(Instant::now() < deadline, "never registered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.shutdown().await;
    assert_eq!(h.registered_workers().await, 0);
}

/// On PostgreSQL, a worker whose liveness session is terminated (its process
/// still running) is taken for dead after the grace: another takes the
/// requests whose task id is saved and finishes them; the first, registered
/// again, writes nothing to them, and nothing is submitted or told twice.
#[tokio::test]
async fn postgres_a_worker_whose_session_is_terminated_is_taken_over_and_writes_nothing() {
    let h = Harness::new(TestDb::postgres(), &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 5_000,
        ..Knobs::default()
    });
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            h.enqueue(
                &format!("partitioned {n}"),
                "text2video",
                json!({}),
                Some(70 + n),
            )
            .await
            .id,
        );
    }
    let first = h.start("cut-off", &[("GENWORKER_LEASE_SECONDS", LEASE)]);
    for id in &ids {
        h.wait_for(*id, Duration::from_secs(20), |r| {
            !r.provider_job_id.is_empty()
        })
        .await;
    }
    let second = h.start("stand-in", &[("GENWORKER_LEASE_SECONDS", LEASE)]);
    h.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'genworker liveness cut-off'",
    );
    let cut = Instant::now();
    h.wait_final(&ids, Duration::from_secs(30)).await;
    let took = cut.elapsed();
    for id in &ids {
        assert_eq!(h.request(*id).await.status, "done");
        // `done` is written before the user is told; the lease is settled after.
        let deadline = Instant::now() + Duration::from_secs(10);
        let (attempt, delivered) = loop {
            let (_, attempt, _, delivered) = h.lease(*id).await.unwrap();
            if delivered || Instant::now() > deadline {
                break (attempt, delivered);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(
            (attempt, delivered),
            (2, true),
            "request {id} finished by the stand-in"
        );
    }
    assert!(
        took < Duration::from_secs(10),
        "{took:?}; the lease is {LEASE} s"
    );
    assert_eq!(h.sim.calls(Endpoint::KlingCreate), 3, "no task paid twice");
    assert_eq!(h.sim.telegram_messages().len(), 3, "each user told once");
    // The first registered again under a new key, and still runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.registered_workers().await < 2 {
        assert!(
            Instant::now() < deadline,
            "the cut-off worker never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.shutdown().await;
    second.shutdown().await;
    assert_eq!(h.refund_count().await, 0);
}

/// The registry's check every half second must not stop the poll: a daemon
/// polling every 1.2 s (SQLite has no NOTIFY) still claims a request enqueued
/// while it idles.
#[tokio::test]
async fn sqlite_a_poll_longer_than_the_registry_check_still_claims() {
    let h = Harness::new(TestDb::sqlite(), &[]).await;
    let running = h.start("patient", &[("GENWORKER_POLL_INTERVAL", "1.2")]);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let request = h
        .enqueue("late arrival", "text2video", json!({}), Some(80))
        .await;
    h.wait_final(&[request.id], Duration::from_secs(10)).await;
    running.shutdown().await;
    assert_eq!(h.request(request.id).await.status, "done");
}
