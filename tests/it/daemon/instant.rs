//! The built-in instant provider and `Daemon::run_until_idle`: the daemon with
//! no HTTP at all, run until nothing it could claim is queued.

use std::time::Duration;

use genworker::catalog;
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_both_backends};

async fn every_request_is_done_and_the_daemon_stops(db: TestDb) {
    let harness = Harness::instant(db, &[]).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            harness
                .enqueue(&format!("instant {i}"), "text2video", json!({}), None)
                .await
                .id,
        );
    }
    harness
        .run_instant_until_idle(Duration::from_secs(30))
        .await;
    let media = harness.db.dir.path().join("media").join("videos");
    for id in ids {
        let request = harness.request(id).await;
        assert_eq!(
            request.status, "done",
            "request {id}: {}",
            request.error_message
        );
        assert_eq!(
            request.provider_job_id,
            format!("instant-{}", request.run_code)
        );
        let url = request.result_urls.0[0].as_str().unwrap().to_owned();
        assert!(
            url.ends_with(&format!("videos/{}.mp4", request.run_code)),
            "{url}"
        );
        let video = std::fs::read(media.join(format!("{}.mp4", request.run_code))).unwrap();
        assert_eq!(video.len(), 32);
        assert_eq!(&video[4..8], b"ftyp");
    }
}

async fn a_paused_models_requests_do_not_keep_it_running(db: TestDb) {
    let harness = Harness::instant(db, &[]).await;
    let slug = harness.db.kling_slug();
    let id = harness
        .enqueue("paused", "text2video", json!({}), None)
        .await
        .id;
    catalog::set_active(&harness.pool, slug, false)
        .await
        .unwrap();
    harness
        .run_instant_until_idle(Duration::from_secs(10))
        .await;
    assert_eq!(harness.request(id).await.status, "queued");
    catalog::set_active(&harness.pool, slug, true)
        .await
        .unwrap();
    harness
        .run_instant_until_idle(Duration::from_secs(10))
        .await;
    assert_eq!(harness.request(id).await.status, "done");
}

on_both_backends!(
    every_request_is_done_and_the_daemon_stops,
    a_paused_models_requests_do_not_keep_it_running,
);
