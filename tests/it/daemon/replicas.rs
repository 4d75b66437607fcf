//! Several workers on one PostgreSQL: every request processed exactly once.

use std::time::Duration;

use genworker::simulator::Knobs;
use serde_json::json;

use super::Harness;
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_runners_share_500_requests_each_processed_once() {
    let h = Harness::new(
        TestDb::postgres(),
        &[
            ("GENWORKER_CONCURRENCY", "64"),
            ("KLING_MAX_CONCURRENT", "64"),
            ("TELEGRAM_BOT_TOKEN", ""),
        ],
    )
    .await;
    h.sim.set_knobs(Knobs {
        video_bytes: 2048,
        ..Knobs::default()
    });
    let mut ids = Vec::new();
    for n in 0..500 {
        ids.push(
            h.enqueue(
                &format!("request number {n}"),
                "text2video",
                json!({}),
                None,
            )
            .await
            .id,
        );
    }
    let (a, b) = (h.start("replica-a", &[]), h.start("replica-b", &[]));
    h.wait_final(&ids, Duration::from_secs(120)).await;
    a.shutdown().await;
    b.shutdown().await;
    for n in 0..500 {
        assert_eq!(
            h.sim.creates_for(&format!("request number {n}")),
            1,
            "request {n}"
        );
    }
    assert_eq!(h.sim.task_count(), 500);
    let mut by_worker = std::collections::HashMap::new();
    for id in &ids {
        let request = h.request(*id).await;
        assert_eq!(request.status, "done");
        let (_, attempt, _, _) = h.lease(*id).await.unwrap();
        assert_eq!(attempt, 1, "request {id} was claimed more than once");
        *by_worker
            .entry(request.provider_job_id.is_empty())
            .or_insert(0) += 1;
    }
    let (generations, _, _) = h.model_counters().await;
    assert_eq!(generations, 500);
}
