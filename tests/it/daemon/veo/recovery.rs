//! Veo after faults: a crash, Telegram down, token refresh and refusals, a wrong key.

use std::time::Duration;

use genworker::simulator::{Endpoint, Fault, ResultMode, SIM_PHOTO_FILE_ID};
use serde_json::json;

use super::super::{Harness, pairs};
use super::{WITHIN, knobs, veo, veo_model};
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    a_crash_resumes_the_saved_operation_without_a_second_one,
    a_saved_operation_finishes_while_telegram_is_down,
    tokens_are_refreshed_before_they_expire,
    a_refused_token_pauses_veo_and_keeps_the_request,
    a_wrong_gemini_key_pauses_veo_and_keeps_the_request,
);

async fn a_crash_resumes_the_saved_operation_without_a_second_one(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.set_knobs(knobs(|k| k.finish_after_ms = 1_500));
    let request = h
        .enqueue_for(slug, "survive a crash", "text2video", json!({}), Some(75))
        .await;
    let settings = veo(&h, "vertex");
    let first = h.start("veo-doomed", &pairs(&settings));
    h.wait_for(request.id, WITHIN, |r| !r.provider_job_id.is_empty())
        .await;
    first.crash();
    let second = h.start("veo-heir", &pairs(&settings));
    h.wait_final(&[request.id], Duration::from_secs(30)).await;
    second.shutdown().await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(h.sim.operations_count(), 1, "one paid operation");
    assert_eq!(h.sim.calls(Endpoint::VeoSubmit), 1);
    assert_eq!(h.refund_count().await, 0);
}

async fn a_saved_operation_finishes_while_telegram_is_down(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.set_knobs(knobs(|k| k.finish_after_ms = 1_500));
    let request = h
        .enqueue_for(
            slug,
            "an image, then an outage",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID}),
            Some(76),
        )
        .await;
    let settings = veo(&h, "vertex");
    let first = h.start("veo-before", &pairs(&settings));
    h.wait_for(request.id, WITHIN, |r| !r.provider_job_id.is_empty())
        .await;
    first.crash();
    assert_eq!(h.sim.calls(Endpoint::TelegramGetFile), 1);
    // Telegram's file API is down from now on.
    h.sim
        .inject(Endpoint::TelegramGetFile, vec![Fault::ServerError; 50]);
    let second = h.start("veo-after", &pairs(&settings));
    h.wait_final(&[request.id], Duration::from_secs(30)).await;
    second.shutdown().await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(
        h.sim.calls(Endpoint::TelegramGetFile),
        1,
        "the resumed task needed no image"
    );
    assert_eq!(h.sim.operations_count(), 1);
}

async fn tokens_are_refreshed_before_they_expire(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    // A token living 61 s is due for refresh a minute before it expires, so
    // after a second: an operation of 2.5 s outlives two tokens.
    h.sim.set_knobs(knobs(|k| {
        k.token_lifetime_secs = 61;
        k.finish_after_ms = 2_500;
        k.result = ResultMode::Url;
    }));
    let request = h
        .enqueue_for(slug, "fresh tokens", "text2video", json!({}), Some(77))
        .await;
    let settings = veo(&h, "vertex");
    h.run_to_end("veo-tokens", &pairs(&settings), &[request.id], WITHIN)
        .await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert!(
        h.sim.calls(Endpoint::GoogleToken) >= 3,
        "a token per call once the first is due: {}",
        h.sim.calls(Endpoint::GoogleToken)
    );
    let storage = h.sim.last_headers(Endpoint::VeoDownload).unwrap();
    assert!(
        storage["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Bearer sim-ya29."),
        "the gs:// download carries the token"
    );
}

async fn a_refused_token_pauses_veo_and_keeps_the_request(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.inject(
        Endpoint::GoogleToken,
        vec![
            Fault::Reject {
                code: 400,
                body:
                    r#"{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}"#
                        .into(),
            };
            3
        ],
    );
    let request = h
        .enqueue_for(slug, "wait for the key", "text2video", json!({}), Some(78))
        .await;
    let balances = h.balances().await;
    let settings = veo(&h, "vertex");
    let daemon = h.start("veo-paused", &pairs(&settings));
    h.wait_for(request.id, WITHIN, |_| {
        h.sim.calls(Endpoint::GoogleToken) >= 1
    })
    .await;
    // The operator's fault: back in the queue, nothing refunded, nobody told,
    // until a probe gets a token and the request finishes.
    h.wait_final(&[request.id], Duration::from_secs(40)).await;
    daemon.shutdown().await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(h.refund_count().await, 0);
    assert_eq!(h.balances().await, balances);
    let told = h.sim.telegram_messages();
    assert_eq!(told.len(), 1, "only the video: {told:?}");
    assert_ne!(told[0].method, "sendMessage");
    let (_, _, failures, _) = h.lease(request.id).await.unwrap();
    assert_eq!(failures, 0, "a paused request used no attempt");
}

async fn a_wrong_gemini_key_pauses_veo_and_keeps_the_request(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    let request = h
        .enqueue_for(slug, "a key to fix", "text2video", json!({}), Some(85))
        .await;
    let mut settings = veo(&h, "gemini");
    settings.retain(|(key, _)| *key != "GEMINI_API_KEY");
    settings.push(("GEMINI_API_KEY", "a-wrong-key".to_owned()));
    let daemon = h.start("veo-wrong-key", &pairs(&settings));
    let deadline = tokio::time::Instant::now() + WITHIN;
    // Google answers a bad key with HTTP 400: the operator's fault, so the
    // request goes back to the queue instead of failing with a refund.
    loop {
        let lease = h.lease(request.id).await;
        if h.sim.calls(Endpoint::VeoSubmit) >= 1
            && matches!(lease, Some((None, _, _, _)))
            && h.request(request.id).await.status == "queued"
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never paused: {lease:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.shutdown().await;
    let paused = h.request(request.id).await;
    assert_eq!(paused.status, "queued");
    assert_eq!(paused.error_message, "");
    assert_eq!(h.refund_count().await, 0);
    assert!(h.sim.telegram_messages().is_empty());
    assert_eq!(h.sim.operations_count(), 0);
}
