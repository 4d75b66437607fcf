//! Several workers on one PostgreSQL: every request processed exactly once.

use std::time::Duration;

use genworker::provider::instant::{InstantProvider, Script};
use serde_json::json;

use super::Harness;
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_runners_share_500_requests_each_processed_once() {
    let h = Harness::instant(TestDb::postgres(), &[("GENWORKER_CONCURRENCY", "64")]).await;
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
    // One script for both: its count is every task either replica submitted.
    let script = Script::new([]);
    let replica = |name| {
        let provider = InstantProvider::scripted("kling", 64, script.clone());
        h.run_until_idle(name, &[], provider, Duration::from_secs(120))
    };
    tokio::join!(replica("replica-a"), replica("replica-b"));
    assert_eq!(script.submits(), 500, "one task per request");
    for id in &ids {
        let request = h.request(*id).await;
        assert_eq!(request.status, "done");
        assert_eq!(
            request.provider_job_id,
            format!("instant-{}", request.run_code)
        );
        let (_, attempt, _, _) = h.lease(*id).await.unwrap();
        assert_eq!(attempt, 1, "request {id} was claimed more than once");
    }
    let (generations, _, _) = h.model_counters().await;
    assert_eq!(generations, 500);
}
