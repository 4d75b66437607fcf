//! Kling through useapi.net (`KLING_API_STYLE=useapi`) end to end against the
//! simulator: every active Kling model of the bot's latest catalog, the
//! bot's bodies per endpoint (text2video, image2video-frames with an uploaded
//! asset, omni), the account set-up once, a failed task with one refund and the
//! bot's text, a crash resumed without a second task, a rate limit waited out,
//! the video fetched without the key, and a private result refused.

use std::time::Duration;

use genworker::simulator::{Endpoint, Fault, Knobs, Outcome, SIM_PHOTO_FILE_ID};
use serde_json::json;

use super::{Harness, pairs};
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    text2video_sends_the_bots_body_after_one_account_set_up,
    image2video_uploads_the_photo_as_an_asset_and_sends_its_url,
    a_failed_task_fails_with_one_refund_and_the_bots_text,
    a_crash_resumes_the_saved_task_without_a_second_one,
    a_rate_limited_create_waits_and_then_goes_through,
    a_task_the_kling_path_does_not_know_is_read_on_the_fallback_path,
    a_private_result_address_is_refused,
);

const WITHIN: Duration = Duration::from_secs(20);

/// The daemon's useapi.net settings, against the simulator, with an account.
pub fn useapi(h: &Harness) -> Vec<(&'static str, String)> {
    vec![
        ("KLING_API_STYLE", "useapi".to_owned()),
        ("USEAPI_API_KEY", "kling-key".to_owned()),
        ("USEAPI_BASE_URL", format!("{}/v1/", h.sim.base_url())),
        ("USEAPI_POLL_INTERVAL", "0.02".to_owned()),
        ("USEAPI_KLING_ACCOUNT_EMAIL", "acc@example.com".to_owned()),
        ("USEAPI_KLING_ACCOUNT_PASSWORD", "secret".to_owned()),
    ]
}

async fn text2video_sends_the_bots_body_after_one_account_set_up(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let first = h
        .enqueue(
            "A fox in snow",
            "text2video",
            json!({"duration": 10, "aspect_ratio": "16:9"}),
            Some(91),
        )
        .await;
    let second = h
        .enqueue("Sea", "text2video", json!({"duration": 10}), Some(92))
        .await;
    let settings = useapi(&h);
    h.run_to_end(
        "useapi-t2v",
        &pairs(&settings),
        &[first.id, second.id],
        WITHIN,
    )
    .await;
    for id in [first.id, second.id] {
        let done = h.request(id).await;
        assert_eq!(done.status, "done", "{}", done.error_message);
        assert!(
            done.provider_job_id.parse::<u64>().is_ok(),
            "{}",
            done.provider_job_id
        );
    }
    assert_eq!(
        h.sim.calls(Endpoint::UseapiAccount),
        1,
        "one set-up per process"
    );
    // Both last 10 s: "10", as the bot sends it.
    let body = h.sim.last_body(Endpoint::UseapiCreate).unwrap();
    assert_eq!(body["duration"], "10");
    assert_eq!(body["maxJobs"], 5);
    assert_eq!(body["email"], "acc@example.com");
    assert!(
        body["model_name"].as_str().unwrap().starts_with("kling-"),
        "{body}"
    );
    let video = h.sim.last_headers(Endpoint::VideoFile).unwrap();
    assert!(
        video.get("authorization").is_none(),
        "the video goes without the key"
    );
    assert!(
        h.sim.calls(Endpoint::UseapiDownload) >= 2,
        "the assets download gives the URL"
    );
    let metadata = h.outcome_columns(first.id).await.3;
    assert_eq!(metadata["api_style"], "useapi");
    assert!(metadata["createResponse"].is_object(), "{metadata}");
    assert!(metadata["task"].is_object(), "{metadata}");
}

async fn image2video_uploads_the_photo_as_an_asset_and_sends_its_url(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "Walk",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID, "duration": 5}),
            Some(93),
        )
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-i2v", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let assets = h.sim.useapi_assets();
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert_eq!(assets[0].0, "image/jpeg");
    let body = h.sim.last_body(Endpoint::UseapiCreate).unwrap();
    assert!(
        body["image"].as_str().unwrap().starts_with("http"),
        "the asset's URL: {body}"
    );
    assert!(body.get("aspect_ratio").is_none(), "{body}");
}

async fn a_failed_task_fails_with_one_refund_and_the_bots_text(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "Content moderation failed".into(),
        },
        ..Knobs::default()
    });
    let request = h
        .enqueue("forbidden", "text2video", json!({}), Some(94))
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-fail", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(failed.error_message, "Kling: Content moderation failed");
    assert_eq!(h.refund_count().await, 1);
    let told = h.sim.telegram_messages();
    assert_eq!(told.len(), 1);
    assert!(
        told[0]
            .text
            .as_deref()
            .is_some_and(|text| text.contains("Kling: Content moderation failed")),
        "{told:?}"
    );
}

async fn a_crash_resumes_the_saved_task_without_a_second_one(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 1_500,
        ..Knobs::default()
    });
    let request = h
        .enqueue("survive", "text2video", json!({}), Some(95))
        .await;
    let settings = useapi(&h);
    let first = h.start("useapi-doomed", &pairs(&settings));
    h.wait_for(request.id, WITHIN, |r| !r.provider_job_id.is_empty())
        .await;
    first.crash();
    let second = h.start("useapi-heir", &pairs(&settings));
    h.wait_final(&[request.id], Duration::from_secs(30)).await;
    second.shutdown().await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert_eq!(h.sim.calls(Endpoint::UseapiCreate), 1, "one paid task");
    assert_eq!(h.refund_count().await, 0);
}

async fn a_rate_limited_create_waits_and_then_goes_through(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.inject(
        Endpoint::UseapiCreate,
        vec![Fault::RateLimited {
            retry_after_secs: 0,
        }],
    );
    let request = h
        .enqueue("busy account", "text2video", json!({}), Some(96))
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-429", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(
        h.sim.calls(Endpoint::UseapiCreate),
        2,
        "refused once, then created"
    );
    assert_eq!(h.refund_count().await, 0);
}

async fn a_task_the_kling_path_does_not_know_is_read_on_the_fallback_path(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.inject(
        Endpoint::UseapiTask,
        vec![Fault::Reject {
            code: 404,
            body: r#"{"error":"ResourceNotFound"}"#.into(),
        }],
    );
    let request = h
        .enqueue("a moved task", "text2video", json!({}), Some(100))
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-fallback", &pairs(&settings), &[request.id], WITHIN)
        .await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert!(
        h.sim.calls(Endpoint::UseapiTaskFallback) >= 1,
        "GET /v1/tasks/{{id}} was asked"
    );
}

async fn a_private_result_address_is_refused(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue("a private result", "text2video", json!({}), Some(97))
        .await;
    let mut settings = useapi(&h);
    settings.push(("GENWORKER_ALLOW_PRIVATE_URLS", "false".to_owned()));
    h.run_to_end("useapi-private", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert!(
        failed.error_message.starts_with(
            "Не удалось скачать видео Kling: refused to fetch the private address 127.0.0.1"
        ),
        "{}",
        failed.error_message
    );
    assert_eq!(h.sim.calls(Endpoint::VideoFile), 0);
}

/// The acceptance: the bot's latest database, `KLING_API_STYLE=useapi`, a
/// queued request of each active Kling model finishes `done` (O1 through omni).
#[tokio::test]
async fn postgres_latest_every_active_kling_model_of_the_bots_catalog_finishes() {
    let h = Harness::new(TestDb::postgres_latest(), &[]).await;
    let models: Vec<_> = genworker::catalog::list(&h.pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|model| model.provider == "kling" && model.is_active)
        .collect();
    assert!(
        models.len() >= 5,
        "{:?}",
        models.iter().map(|m| &m.slug).collect::<Vec<_>>()
    );
    let mut ids = Vec::new();
    for model in &models {
        ids.push(
            h.enqueue_for(
                &model.slug,
                "A fox in snow",
                "text2video",
                json!({}),
                Some(98),
            )
            .await
            .id,
        );
    }
    let settings = useapi(&h);
    h.run_to_end(
        "useapi-catalog",
        &pairs(&settings),
        &ids,
        Duration::from_secs(40),
    )
    .await;
    for (id, model) in ids.iter().zip(&models) {
        let done = h.request(*id).await;
        assert_eq!(
            done.status, "done",
            "{}: {}",
            model.slug, done.error_message
        );
    }
    assert_eq!(h.sim.calls(Endpoint::UseapiCreate), models.len() as u64);
    assert!(h.sim.calls(Endpoint::UseapiCreate) > 0);
}

/// The bot's `kling_O1` (api `kling-o1`) goes through the omni endpoint, its
/// photo uploaded as `image_1`.
#[tokio::test]
async fn postgres_latest_o1_goes_through_omni_with_its_image() {
    let h = Harness::new(TestDb::postgres_latest(), &[]).await;
    let request = h
        .enqueue_for(
            "kling_O1",
            "Dance",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID}),
            Some(99),
        )
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-omni", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let body = h.sim.last_body(Endpoint::UseapiCreate).unwrap();
    assert_eq!(body["omni_version"], "o1");
    assert!(
        ["3", "4", "5", "6", "7", "8", "9", "10"].contains(&body["duration"].as_str().unwrap()),
        "{body}"
    );
    assert!(body.get("model_name").is_none(), "{body}");
    assert!(
        body["image_1"].as_str().unwrap().starts_with("http"),
        "{body}"
    );
    assert_eq!(h.sim.useapi_assets().len(), 1);
}
