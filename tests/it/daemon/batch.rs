//! Batched fenced writes: one transaction for many requests, each write still
//! fenced on its own claim, the model's statistics counted once per video.

use std::sync::Arc;
use std::time::Duration;

use genworker::queue::{CompletionWrite, Failure, Fenced, Lease, QueueStore, Success, TaskIdWrite};
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    a_batch_of_completions_fences_each_write_and_counts_each_video_once,
    a_batch_of_task_ids_saves_only_those_still_owned,
    concurrent_batches_equal_the_bots_updates_one_at_a_time,
    a_task_id_is_saved_for_a_request_set_back_to_queued_meanwhile,
    a_paused_request_keeps_its_failures_and_a_requeued_one_starts_afresh,
);

fn success(task: &str) -> Success {
    Success {
        result_url: format!("/media/videos/{task}.mp4"),
        file_size: 1234,
        duration: Some(5),
        video_resolution: "720p".into(),
        aspect_ratio: "16:9".into(),
        provider_job_id: task.into(),
        provider_metadata: json!({"task": task}),
        notify: false,
    }
}

/// Four requests claimed by `worker`: (ids, attempts).
async fn claim_four(h: &Harness, store: &QueueStore) -> Vec<(i64, i32)> {
    for n in 0..4 {
        h.enqueue(&format!("batch {n}"), "text2video", json!({}), None)
            .await;
    }
    let mut claimed: Vec<_> = store
        .claim(vec!["kling"], 10, Duration::from_secs(60))
        .await
        .unwrap()
        .into_iter()
        .map(|job| (job.lease.request_id(), job.lease.attempt()))
        .collect();
    claimed.sort();
    assert_eq!(claimed.len(), 4);
    claimed
}

async fn a_batch_of_completions_fences_each_write_and_counts_each_video_once(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let store = h.store("batcher");
    let claimed = claim_four(&h, &store).await;
    let [(a, at_a), (b, at_b), (lost, at_lost), (gone, at_gone)] = claimed[..] else {
        unreachable!()
    };
    h.sql(&format!(
        "UPDATE genworker_lease SET attempt = attempt + 1 WHERE request_id = {lost}"
    ));
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = 'cancelled' WHERE id = {gone}"
    ));
    // Known statistics; `b` has no start time, so (as with the bot) no
    // processing time and no part in the average.
    h.sql(&format!(
        "UPDATE botapp_aimodel SET total_generations = 2, average_generation_time = 10 \
         WHERE slug = '{}'",
        h.db.kling_slug()
    ));
    h.sql(&format!(
        "UPDATE botapp_genrequest SET started_at = NULL WHERE id = {b}"
    ));
    let write = |id, attempt, task: &str| CompletionWrite {
        request_id: id,
        attempt,
        success: success(task),
    };
    let verdicts = store
        .complete_all(Arc::from([
            write(a, at_a, "ta"),
            write(b, at_b, "tb"),
            write(lost, at_lost, "tl"),
            write(gone, at_gone, "tg"),
            write(a, at_a, "ta-again"),
        ]))
        .await
        .unwrap();
    assert_eq!(
        verdicts,
        [
            Fenced::Applied,
            Fenced::Applied,
            Fenced::LostLease,
            Fenced::NotProcessing,
            Fenced::NotProcessing,
        ]
    );
    for (id, task) in [(a, "ta"), (b, "tb")] {
        let row = h.request(id).await;
        assert_eq!(row.status, "done");
        assert_eq!(row.provider_job_id, task, "the first write of the batch");
        let (worker, _, _, delivered) = h.lease(id).await.unwrap();
        assert_eq!(worker, None, "nobody to tell: the lease is settled");
        assert!(delivered);
    }
    assert_eq!(h.request(lost).await.status, "processing");
    assert_eq!(h.request(lost).await.provider_job_id, "");
    assert_eq!(h.request(gone).await.status, "cancelled");
    let (total, errors, average) = h.model_counters().await;
    assert_eq!(
        (total, errors),
        (2, 0),
        "the bot counts requests at creation, never at completion"
    );
    let took = h.request_times(a).await.unwrap();
    assert!(h.request_times(b).await.is_none());
    // The bot's (avg · (n − 1) + t) / n with n = 2, once, for `a` only.
    assert!(
        (average - (10.0 + took) / 2.0).abs() < 1e-9,
        "got {average} for t = {took}"
    );
}

async fn a_batch_of_task_ids_saves_only_those_still_owned(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let store = h.store("saver");
    let claimed = claim_four(&h, &store).await;
    let [
        (a, at_a),
        (lost, at_lost),
        (gone, at_gone),
        (stale, at_stale),
    ] = claimed[..]
    else {
        unreachable!()
    };
    h.sql(&format!(
        "UPDATE genworker_lease SET worker_id = 'other' WHERE request_id = {lost}"
    ));
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = 'error' WHERE id = {gone}"
    ));
    let write = |id, attempt, task: &str| TaskIdWrite {
        request_id: id,
        attempt,
        task_id: task.into(),
    };
    let verdicts = store
        .save_task_ids(Arc::from([
            write(a, at_a, "task-a"),
            write(lost, at_lost, "task-l"),
            write(gone, at_gone, "task-g"),
            write(stale, at_stale + 1, "task-s"),
        ]))
        .await
        .unwrap();
    assert_eq!(
        verdicts,
        [
            Fenced::Applied,
            Fenced::LostLease,
            Fenced::NotProcessing,
            Fenced::LostLease,
        ]
    );
    assert_eq!(h.request(a).await.provider_job_id, "task-a");
    for id in [lost, gone, stale] {
        assert_eq!(h.request(id).await.provider_job_id, "", "request {id}");
    }
}

/// Two batches of one model's videos committed at the same moment: the average
/// equals the bot's one-at-a-time updates, each batch's videos in its own order and
/// the batches one after the other (the model's row lock orders them), and the
/// counters do not move.
async fn concurrent_batches_equal_the_bots_updates_one_at_a_time(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let store = h.store("batcher");
    let mut claimed = claim_four(&h, &store).await;
    claimed.extend(claim_four(&h, &store).await);
    h.sql(&format!(
        "UPDATE botapp_aimodel SET total_generations = 5, average_generation_time = 40 \
         WHERE slug = '{}'",
        h.db.kling_slug()
    ));
    // Distinct processing times: each started a different number of seconds ago.
    for (n, (id, _)) in claimed.iter().enumerate() {
        let started = format!("2026-01-01 00:00:{:02}.000000", 10 + 5 * n);
        let started = if h.db.is_postgres() {
            format!("'{started}+00'")
        } else {
            format!("'{started}'")
        };
        h.sql(&format!(
            "UPDATE botapp_genrequest SET started_at = {started} WHERE id = {id}"
        ));
    }
    let batch = |part: &[(i64, i32)]| -> Arc<[CompletionWrite]> {
        part.iter()
            .map(|(id, attempt)| CompletionWrite {
                request_id: *id,
                attempt: *attempt,
                success: success(&format!("t{id}")),
            })
            .collect()
    };
    let (first, second) = claimed.split_at(4);
    let (one, two) = (store.clone(), store.clone());
    let (first_batch, second_batch) = (batch(first), batch(second));
    let (a, b) = tokio::join!(
        tokio::spawn(async move { one.complete_all(first_batch).await }),
        tokio::spawn(async move { two.complete_all(second_batch).await }),
    );
    assert!(a.unwrap().unwrap().iter().all(|v| *v == Fenced::Applied));
    assert!(b.unwrap().unwrap().iter().all(|v| *v == Fenced::Applied));
    let mut times = Vec::new();
    for (id, _) in &claimed {
        times.push(h.request_times(*id).await.unwrap());
    }
    let (t1, t2) = times.split_at(4);
    let one_at_a_time = |order: &[&[f64]]| {
        order
            .iter()
            .flat_map(|part| part.iter())
            .fold(40.0, |average, t| {
                genworker::queue::stats::running_average(average, 5, &[*t])
            })
    };
    let (total, errors, average) = h.model_counters().await;
    assert_eq!((total, errors), (5, 0));
    let either = [one_at_a_time(&[t1, t2]), one_at_a_time(&[t2, t1])];
    assert!(
        either
            .iter()
            .any(|expected| (expected - average).abs() < 1e-9),
        "average {average}, one at a time {either:?}"
    );
}

/// Claims whatever `store` can take now: (lease, attempt, failures) of each.
async fn claim_now(store: &QueueStore) -> Vec<(Lease, i32, i32)> {
    store
        .claim(vec!["kling"], 10, Duration::from_secs(60))
        .await
        .unwrap()
        .into_iter()
        .map(|job| {
            let (attempt, failures) = (job.lease.attempt(), job.lease.failures());
            (job.lease, attempt, failures)
        })
        .collect()
}

async fn a_task_id_is_saved_for_a_request_set_back_to_queued_meanwhile(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let store = h.store("creator");
    let id = h.enqueue("bumped", "text2video", json!({}), None).await.id;
    let [(lease, attempt, _)] = &claim_now(&store).await[..] else {
        panic!("one claim")
    };
    let attempt = *attempt;
    // An admin sets it back to queued between the provider's answer and the save.
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = 'queued' WHERE id = {id}"
    ));
    let verdicts = store
        .save_task_ids(Arc::from([TaskIdWrite {
            request_id: id,
            attempt,
            task_id: "task-q".into(),
        }]))
        .await
        .unwrap();
    assert_eq!(
        verdicts,
        [Fenced::Applied],
        "the task exists: its id is kept"
    );
    let next = h.store("next");
    assert!(
        claim_now(&next).await.is_empty(),
        "a live lease still holds it"
    );
    // What the holder does when its heartbeat sees the requeue.
    assert!(lease.release(Duration::ZERO, None).await.unwrap());
    let claimed = next
        .claim(vec!["kling"], 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].lease.attempt(), attempt + 1);
    assert_eq!(
        claimed[0].request.provider_job_id, "task-q",
        "resumed, not paid again"
    );
}

async fn a_paused_request_keeps_its_failures_and_a_requeued_one_starts_afresh(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let store = h.store("w");
    let id = h.enqueue("flaky", "text2video", json!({}), None).await.id;
    let [(lease, first, 0)] = &claim_now(&store).await[..] else {
        panic!("one fresh claim")
    };
    let first = *first;
    let failed = Some("Kling API error: 502 Bad Gateway".to_owned());
    assert!(lease.release(Duration::ZERO, failed).await.unwrap());
    tokio::time::sleep(Duration::from_millis(5)).await;
    let [(lease, second, 1)] = &claim_now(&store).await[..] else {
        panic!("reclaimed with its failure")
    };
    let second = *second;
    assert_eq!(second, first + 1);
    // The provider refuses the key: back to the queue, its failure kept.
    assert!(lease.pause().await.unwrap());
    assert_eq!(h.request(id).await.status, "queued");
    let [(lease, third, 1)] = &claim_now(&store).await[..] else {
        panic!("claimed from the queue, the failure kept")
    };
    let third = *third;
    assert_eq!(third, second + 1);
    let failure = Failure {
        message: "boom".into(),
        notify: false,
        task_failed: false,
    };
    let (fenced, _) = lease.fail(failure).await.unwrap();
    assert_eq!(fenced, Fenced::Applied);
    // Its run over, an admin requeues it: it starts afresh, the attempt goes on.
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = 'queued' WHERE id = {id}"
    ));
    let [(_, fourth, 0)] = claim_now(&store).await[..] else {
        panic!("a fresh start")
    };
    assert_eq!(fourth, third + 1);
    let (_, _, failures, delivered) = h.lease(id).await.unwrap();
    assert_eq!((failures, delivered), (0, false));
}
