//! Crashes, reclaims, shutdown hand-off, cancellation: nothing lost, nothing paid twice.

use std::time::Duration;

use genworker::queue::{Failure, Fenced, RefundOutcome};
use genworker::simulator::Knobs;
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    a_crashed_worker_s_task_is_resumed_not_paid_again,
    shutdown_hands_running_jobs_to_another_worker_at_once,
    two_workers_racing_to_fail_a_reclaimed_request_refund_once,
    a_request_cancelled_in_flight_gets_no_further_write,
    a_cancellation_seen_only_by_the_final_write_lets_the_lease_go,
    a_finished_request_is_told_once_even_after_reclaims,
);

fn expire_leases(h: &Harness) {
    h.sql("UPDATE genworker_lease SET lease_expires_at = '2000-01-01 00:00:00.000000'");
}

async fn a_crashed_worker_s_task_is_resumed_not_paid_again(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 1500,
        ..Knobs::default()
    });
    let request = h
        .enqueue("survive a crash", "text2video", json!({}), Some(9))
        .await;
    let first = h.start("doomed", &[]);
    h.wait_for(request.id, Duration::from_secs(10), |r| {
        !r.provider_job_id.is_empty()
    })
    .await;
    first.crash();
    let task_id = h.request(request.id).await.provider_job_id;
    expire_leases(&h);
    let second = h.start("survivor", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    second.shutdown().await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done");
    assert_eq!(done.provider_job_id, task_id, "the same task, resumed");
    assert_eq!(
        h.sim.task_count(),
        1,
        "Kling was asked to create exactly one task"
    );
    assert_eq!(h.lease(request.id).await.unwrap().1, 2, "claimed twice");
}

async fn shutdown_hands_running_jobs_to_another_worker_at_once(db: TestDb) {
    let h = Harness::new(
        db,
        &[
            ("GENWORKER_LEASE_SECONDS", "60"),
            ("GENWORKER_SHUTDOWN_GRACE", "0.2"),
        ],
    )
    .await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 2500,
        ..Knobs::default()
    });
    let request = h
        .enqueue("hand me over", "text2video", json!({}), None)
        .await;
    let first = h.start("leaving", &[]);
    h.wait_for(request.id, Duration::from_secs(10), |r| {
        !r.provider_job_id.is_empty()
    })
    .await;
    first.shutdown().await;
    let (worker, _, _, _) = h.lease(request.id).await.unwrap();
    assert_eq!(worker, None, "the lease was released, not left to expire");
    let started = std::time::Instant::now();
    let second = h.start("staying", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    second.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "resumed long before the 60 s lease ran out"
    );
    assert_eq!(h.request(request.id).await.status, "done");
    assert_eq!(h.sim.task_count(), 1);
}

async fn two_workers_racing_to_fail_a_reclaimed_request_refund_once(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue("contested", "text2video", json!({}), Some(77))
        .await;
    let a = h.store("worker-a");
    let b = h.store("worker-b");
    let lease = Duration::from_secs(60);
    let first = a.claim(vec!["kling"], 10, lease).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].lease.request_id(), request.id);
    expire_leases(&h);
    let second = b.claim(vec!["kling"], 10, lease).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].lease.attempt(), first[0].lease.attempt() + 1);
    let failure = || Failure {
        message: "boom".into(),
        notify: false,
        task_failed: false,
    };
    let (from_a, from_b) = tokio::join!(
        first[0].lease.fail(failure()),
        second[0].lease.fail(failure()),
    );
    assert_eq!(
        from_a.unwrap().0,
        Fenced::LostLease,
        "the stale attempt writes nothing"
    );
    let (fenced, refund) = from_b.unwrap();
    assert_eq!(fenced, Fenced::Applied);
    assert!(
        matches!(refund, Some(RefundOutcome::Refunded { .. })),
        "{refund:?}"
    );
    // The owner writing again (a retried write) changes nothing either.
    let again = second[0].lease.fail(failure()).await.unwrap();
    assert_ne!(again.0, Fenced::Applied);
    assert_eq!(h.refund_count().await, 1);
    assert_eq!(
        h.transactions()
            .await
            .iter()
            .filter(|t| t.kind == "refund")
            .count(),
        1
    );
}

/// A charged request whose Kling task takes `finish_after_ms`, cancelled by the bot
/// once the daemon (worker w1, lease of `lease_seconds`) saved its task id.
async fn cancel_in_flight(
    db: TestDb,
    lease_seconds: &str,
    finish_after_ms: u64,
) -> (Harness, super::Running, i64) {
    let h = Harness::new(db, &[("GENWORKER_LEASE_SECONDS", lease_seconds)]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms,
        ..Knobs::default()
    });
    let request = h
        .enqueue("never mind", "text2video", json!({}), Some(5))
        .await;
    let daemon = h.start("w1", &[]);
    h.wait_for(request.id, Duration::from_secs(10), |r| {
        !r.provider_job_id.is_empty()
    })
    .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = 'cancelled' WHERE id = {}",
        request.id
    ));
    (h, daemon, request.id)
}

/// Still cancelled, no outcome, no refund, no message, the lease let go for good.
async fn assert_left_cancelled(h: &Harness, id: i64) {
    assert_eq!(h.request(id).await.status, "cancelled");
    let (_, _, processing_time, _) = h.outcome_columns(id).await;
    assert_eq!(processing_time, None, "no outcome was written");
    assert_eq!(h.refund_count().await, 0);
    assert!(h.sim.telegram_messages().is_empty());
    let (worker, _, _, delivered) = h.lease(id).await.unwrap();
    assert_eq!(
        (worker, delivered),
        (None, true),
        "the lease is let go for good"
    );
}

async fn a_request_cancelled_in_flight_gets_no_further_write(db: TestDb) {
    let (h, daemon, id) = cancel_in_flight(db, "0.6", 2000).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    daemon.shutdown().await;
    assert_left_cancelled(&h, id).await;
}

async fn a_cancellation_seen_only_by_the_final_write_lets_the_lease_go(db: TestDb) {
    // A 60 s lease: the heartbeat (every 20 s) never looks during this test.
    let (h, daemon, id) = cancel_in_flight(db, "60", 1000).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !h.lease(id).await.unwrap().3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the refused write did not let the lease go"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    daemon.shutdown().await;
    assert_left_cancelled(&h, id).await;
}

async fn a_finished_request_is_told_once_even_after_reclaims(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue("tell me once", "text2video", json!({}), Some(12))
        .await;
    let first = h.start("w1", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    first.shutdown().await;
    assert_eq!(h.sim.telegram_messages().len(), 1);

    // Delivered and expired: a later worker has nothing to send.
    expire_leases(&h);
    let second = h.start("w2", &[]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    second.shutdown().await;
    assert_eq!(h.sim.telegram_messages().len(), 1);

    // Finished but not delivered (a crash between the commit and the message):
    // the next worker sends it, once.
    h.sql("UPDATE genworker_lease SET delivered = false, lease_expires_at = '2000-01-01 00:00:00.000000'");
    let third = h.start("w3", &[]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    third.shutdown().await;
    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].method, h.db.kling().upload);
    assert!(h.lease(request.id).await.unwrap().3, "delivered again");
    assert_eq!(h.sim.task_count(), 1);
}

/// Refunds and new charges of one user at the same moment lose neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_refunds_and_charges_of_one_user_all_count() {
    let h = Harness::new(TestDb::postgres(), &[]).await;
    let store = h.store("refunder");
    let mut failing = Vec::new();
    for n in 0..20 {
        failing.push(
            h.enqueue(
                &format!("to refund {n}"),
                "text2video",
                json!({}),
                Some(500),
            )
            .await,
        );
    }
    let claimed = store
        .claim(vec!["kling"], 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 20);
    let refunds = claimed.into_iter().map(|job| {
        tokio::spawn(async move {
            job.lease
                .fail(Failure {
                    message: "x".into(),
                    notify: false,
                    task_failed: false,
                })
                .await
                .unwrap()
        })
    });
    let charges = (0..20).map(|n| {
        let pool = h.pool.clone();
        let tables = h.tables.clone();
        let slug = h.db.kling_slug();
        tokio::spawn(async move {
            let mut request =
                genworker::queue::admin::NewRequest::text2video(slug, format!("charge {n}"));
            request.user_chat_id = Some(500);
            genworker::queue::admin::enqueue(&pool, &tables, request)
                .await
                .unwrap()
        })
    });
    let refunds: Vec<_> = refunds.collect();
    let charges: Vec<_> = charges.collect();
    for task in refunds {
        task.await.unwrap();
    }
    for task in charges {
        task.await.unwrap();
    }
    // 40 charges of 69.00, 20 refunds of 69.00.
    let balances = h.balances().await;
    assert_eq!(balances.len(), 1);
    assert_eq!(
        balances[0].0,
        "-1380.00".parse::<bigdecimal::BigDecimal>().unwrap()
    );
    assert_eq!(h.refund_count().await, 20);
}
