//! Success, failure with refund, retries and rate limits, wake-ups.

use std::time::Duration;

use bigdecimal::BigDecimal;
use genworker::i18n::UserText;
use genworker::provider::ProviderError;
use genworker::provider::instant::{Fault, InstantProvider, Script};
use genworker::simulator::{Endpoint, Knobs};
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    text2video_succeeds_end_to_end,
    image2video_fetches_the_telegram_image,
    image2video_without_telegram_reads_the_stored_address,
    image2video_whose_telegram_file_is_missing_fails_with_one_refund,
    a_failed_task_fails_with_one_refund_as_the_bot_writes_it,
    retryable_errors_are_retried_then_fail_with_the_last_message,
    rate_limits_wait_without_using_an_attempt,
);

/// Longest an instant run below may take.
const WITHIN: Duration = Duration::from_secs(20);

fn money(text: &str) -> BigDecimal {
    text.parse().unwrap()
}

async fn text2video_succeeds_end_to_end(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        video_bytes: 100_000,
        finish_after_ms: 100,
        ..Knobs::default()
    });
    let request = h
        .enqueue("a fox in the snow", "text2video", json!({}), Some(1001))
        .await;
    let daemon = h.start("w1", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    daemon.shutdown().await;

    let done = h.request(request.id).await;
    assert_eq!(done.status, "done");
    let file =
        h.db.dir
            .path()
            .join(format!("media/videos/{}.mp4", request.run_code));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 100_000, "{file:?}");
    assert_eq!(
        done.result_urls.0,
        json!([format!("/media/videos/{}.mp4", request.run_code)])
    );
    assert_eq!(done.duration, Some(10), "from the model's default params");
    // As the bot's complete_generation: the values copied into generation_params too.
    assert_eq!(
        done.generation_params.0,
        json!({"mode": "text2video", "duration": 10, "resolution": "1080p", "aspect_ratio": "16:9"})
    );
    assert_eq!(
        (done.video_resolution.as_str(), done.aspect_ratio.as_str()),
        ("1080p", "16:9")
    );
    assert!(!done.provider_job_id.is_empty());
    assert_eq!(h.sim.task_count(), 1);
    let (generations, errors, average) = h.model_counters().await;
    assert_eq!((generations, errors), (1, 0));
    assert!(average > 0.0);
    let (file_sizes, completed_at, processing_time, metadata) = h.outcome_columns(request.id).await;
    assert_eq!(file_sizes, json!([100_000]));
    assert!(completed_at.is_some());
    assert!(processing_time.unwrap() >= 0.0);
    assert_eq!(metadata["task_id"], json!(done.provider_job_id));
    // The bot's own keys beside genworker's.
    assert_eq!(metadata["job"], metadata["final_response"]);
    assert_eq!(metadata["initialResponse"], metadata["create_response"]);
    assert!(metadata["job"].is_object() && metadata["initialResponse"].is_object());
    assert_eq!(
        (&metadata["prompt"], &metadata["generationType"]),
        (&json!("a fox in the snow"), &json!("text2video"))
    );
    assert_eq!(h.refund_count().await, 0);
    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].method, h.db.kling().upload);
    assert_eq!(messages[0].chat_id, "1001");
    assert_eq!(messages[0].video_bytes, Some(100_000));
    assert_eq!(
        messages[0].caption.as_deref(),
        Some(
            h.db.bot_caption(false, "a fox in the snow", "69.00", "-69.00")
                .as_str()
        )
    );
    assert_eq!(
        messages[0].reply_markup.as_deref(),
        Some(h.db.bot_video_keyboard())
    );
    let file = messages[0].file.clone().unwrap();
    assert_eq!(file.file_name.as_deref(), Some("video.mp4"));
    let (worker, attempt, _, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!((worker, attempt, delivered), (None, 1, true));
}

async fn image2video_fetches_the_telegram_image(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.add_telegram_file(
        "photo-7",
        "photos/file_7.png",
        b"\x89PNG\r\n\x1a\nimage".to_vec(),
    );
    let request = h
        .enqueue(
            "make it move",
            "image2video",
            json!({"input_image_file_id": "photo-7", "duration": 5}),
            Some(7),
        )
        .await;
    let daemon = h.start("w1", &[]);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    daemon.shutdown().await;
    assert_eq!(h.request(request.id).await.status, "done");
    let body = h.sim.last_create_body().unwrap();
    assert_eq!(body["mode"], "image2video");
    assert_eq!(body["reference_image_mime_type"], "image/png");
    assert_eq!(body["duration"], 5);
    assert!(body.get("input_image_file_id").is_none());
    assert_eq!(h.sim.calls(Endpoint::TelegramGetFile), 1);
}

/// A Kling WebApp request keeps its photo at `source_media.storage_url`, with
/// no Telegram file: the image is read from there (under the address policy).
async fn image2video_without_telegram_reads_the_stored_address(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "make it move",
            "image2video",
            json!({"duration": 5}),
            Some(7),
        )
        .await;
    let address = format!("{}/_sim/hosted/photo.jpg", h.sim.base_url());
    h.sql(&format!(
        "UPDATE botapp_genrequest SET source_media = '{}' WHERE id = {}",
        json!({"storage_url": address}),
        request.id
    ));
    h.run_to_end("w1", &[], &[request.id], Duration::from_secs(20))
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let body = h.sim.last_create_body().unwrap();
    assert_eq!(body["mode"], "image2video");
    assert_eq!(body["reference_image_mime_type"], "image/jpeg");
    assert_eq!(
        body["reference_image"].as_str().map(str::len),
        Some(genworker::simulator::SIM_PHOTO.len().div_ceil(3) * 4),
        "the photo, base64"
    );
    assert_eq!(h.sim.calls(Endpoint::TelegramGetFile), 0);
}

/// A Telegram file that is not there (getFile's 400) fails the request before
/// any task, with Telegram's reason and one refund.
async fn image2video_whose_telegram_file_is_missing_fails_with_one_refund(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "animate a ghost",
            "image2video",
            json!({"input_image_file_id": "no-such-file"}),
            Some(5),
        )
        .await;
    h.run_to_end("w1", &[], &[request.id], Duration::from_secs(20))
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message,
        "Не удалось получить изображение из Telegram: Bad Request: invalid file_id"
    );
    assert_eq!(h.refund_count().await, 1);
    assert_eq!(h.sim.task_count(), 0, "no task was created");
    assert_eq!(h.sim.calls(Endpoint::TelegramGetFile), 1);
}

/// A failure the provider reports for its task, with the wording it gives.
fn task_failed(ru: &str, en: &str) -> Fault {
    Fault::Answer(ProviderError::TaskFailed(UserText::new(ru, en)))
}

async fn a_failed_task_fails_with_one_refund_as_the_bot_writes_it(db: TestDb) {
    let h = Harness::instant(db, &[]).await;
    let expected = "Задача отклонена: NSFW content";
    let script = Script::new([task_failed(expected, "The task was rejected: NSFW content")]);
    let request = h
        .enqueue("bad prompt", "text2video", json!({}), Some(55))
        .await;
    let provider = InstantProvider::scripted("kling", 8, script.clone());
    h.run_until_idle("w1", &[], provider, WITHIN).await;

    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message, expected,
        "the Russian wording is stored"
    );
    assert_eq!(
        failed.provider_job_id,
        format!("instant-{}", request.run_code),
        "the failed task's id is kept"
    );
    assert_eq!(script.submits(), 1);
    assert_eq!(h.model_counters().await.1, 1, "total_errors + 1");
    let rows = h.transactions().await;
    assert_eq!(rows.len(), 2, "the charge and one refund");
    let (charge, refund) = (&rows[0], &rows[1]);
    assert_eq!(charge.amount, money("-69.00"));
    assert_eq!(Some(charge.id), request.transaction_id);
    assert_eq!(refund.kind, "refund");
    assert_eq!(refund.amount, money("69.00"));
    assert_eq!(refund.balance_after, money("0.00"));
    assert_eq!(
        refund.description,
        format!("Возврат за неудачную генерацию: {expected}")
    );
    assert_eq!(
        refund.description_en,
        format!("Refund for failed generation: {expected}")
    );
    assert_eq!(
        (refund.payment_method.clone(), refund.payment_id.clone()),
        (None, None)
    );
    assert_eq!(refund.payment_data.0, json!({}));
    assert_eq!(refund.generation_request_id, None);
    assert_eq!(refund.related_transaction_id, Some(charge.id));
    assert!(refund.is_completed && !refund.is_pending);
    assert_eq!(refund.user_id, charge.user_id);
    assert_eq!(
        h.balances().await,
        vec![(money("0.00"), money("0.00"))],
        "balance and total_spent restored"
    );
    assert_eq!(h.refund_count().await, 1);
    let (worker, attempt, _, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!((worker, attempt, delivered), (None, 1, true));
}

async fn retryable_errors_are_retried_then_fail_with_the_last_message(db: TestDb) {
    let h = Harness::instant(db, &[("GENWORKER_MAX_ATTEMPTS", "3")]).await;
    let script = Script::new((1..=10).map(|n| {
        Fault::Refuse(ProviderError::retryable(UserText::new(
            format!("Сбой {n}"),
            format!("Failure {n}"),
        )))
    }));
    let request = h.enqueue("unlucky", "text2video", json!({}), Some(3)).await;
    let provider = InstantProvider::scripted("kling", 8, script.clone());
    h.run_until_idle("w1", &[], provider, WITHIN).await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message, "Сбой 3",
        "the third attempt's message"
    );
    assert_eq!(script.submits(), 3, "one submit per attempt, no more");
    let (worker, attempt, _, delivered) = h.lease(request.id).await.unwrap();
    assert_eq!((worker, attempt, delivered), (None, 3, true));
    assert_eq!(h.refund_count().await, 1);
}

async fn rate_limits_wait_without_using_an_attempt(db: TestDb) {
    let h = Harness::instant(db, &[("GENWORKER_MAX_ATTEMPTS", "1")]).await;
    let limited = Fault::Refuse(ProviderError::Retryable {
        message: UserText::same("429 Too Many Requests"),
        after: Some(Duration::ZERO),
        rate_limited: true,
    });
    let script = Script::new(vec![limited; 7]);
    let request = h.enqueue("busy hour", "text2video", json!({}), None).await;
    let provider = InstantProvider::scripted("kling", 8, script.clone());
    h.run_until_idle("w1", &[], provider, WITHIN).await;
    assert_eq!(
        h.request(request.id).await.status,
        "done",
        "a rate limit never fails the request"
    );
    assert_eq!(script.submits(), 8, "seven limited, then the task");
    let (_, attempt, failures, _) = h.lease(request.id).await.unwrap();
    assert_eq!(failures, 0);
    assert_eq!(attempt, 8, "each wait gave the request back to the queue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notify_wakes_the_daemon_before_the_poll_interval() {
    let h = Harness::new(TestDb::postgres(), &[("GENWORKER_POLL_INTERVAL", "60")]).await;
    let daemon = h.start("w1", &[]);
    // Let the first (empty) claim and the LISTEN happen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let request = h.enqueue("wake up", "text2video", json!({}), None).await;
    let started = std::time::Instant::now();
    h.wait_for(request.id, Duration::from_secs(10), |r| {
        r.status != "queued"
    })
    .await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "picked up after {waited:?}, not by NOTIFY"
    );
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    daemon.shutdown().await;
}
