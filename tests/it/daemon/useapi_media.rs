//! The useapi.net style's media and result facts end to end: images and a
//! video named by address (the Kling WebApp's `image_url`, `image_tail`,
//! omni's `image_<i>` and `video_1`, `source_media.storage_url`) fetched
//! without credentials and uploaded as assets, an image over 10 MB re-encoded
//! as JPEG, an unreachable or private one refused before any task is paid for,
//! and the video's duration, resolution and aspect ratio as the task reports them.

use std::time::Duration;

use genworker::simulator::{Endpoint, LARGE_IMAGE_MIN_BYTES, SIM_PHOTO, SIM_PHOTO_FILE_ID};
use serde_json::json;

use super::useapi::useapi;
use super::{Harness, pairs};
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    webapp_frames_upload_both_images_the_large_one_as_jpeg_and_force_pro,
    omni_sends_the_photo_as_image_1_beside_the_named_references_and_video,
    a_stored_image_address_serves_an_image2video_request_without_telegram,
    an_image_that_cannot_be_fetched_fails_before_any_task_with_one_refund,
    a_private_image_address_is_refused,
    the_task_reports_the_videos_duration_resolution_and_aspect_ratio,
);

const WITHIN: Duration = Duration::from_secs(30);

fn hosted(h: &Harness, name: &str) -> String {
    format!("{}/_sim/hosted/{name}", h.sim.base_url())
}

fn is_asset(url: &serde_json::Value) -> bool {
    url.as_str()
        .is_some_and(|url| url.contains("/_sim/useapi-assets/"))
}

async fn webapp_frames_upload_both_images_the_large_one_as_jpeg_and_force_pro(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "Walk",
            "image2video",
            json!({"image_url": hosted(&h, "photo.jpg"), "image_tail": hosted(&h, "large.jpg"),
                   "mode": "std"}),
            Some(101),
        )
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-frames", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let assets = h.sim.useapi_assets();
    assert_eq!(assets.len(), 2, "{assets:?}");
    assert_eq!(
        assets[0],
        ("image/jpeg".to_owned(), SIM_PHOTO.len()),
        "the start frame as fetched, read once (the daemon's copy is reused)"
    );
    assert_eq!(assets[1].0, "image/jpeg");
    assert!(
        assets[1].1 < LARGE_IMAGE_MIN_BYTES - 1,
        "the end frame re-encoded under 10 MB: {assets:?}"
    );
    let body = h.sim.last_body(Endpoint::UseapiCreate).unwrap();
    assert_eq!(body["mode"], "pro", "an end frame forces pro: {body}");
    assert!(
        is_asset(&body["image"]) && is_asset(&body["image_tail"]),
        "{body}"
    );
    assert_ne!(body["image"], body["image_tail"]);
    let metadata = h.outcome_columns(request.id).await.3;
    assert_eq!(metadata["request"], body, "the bot keeps the body it sent");
}

async fn omni_sends_the_photo_as_image_1_beside_the_named_references_and_video(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sql("UPDATE botapp_aimodel SET api_model_name = 'kling-o1' WHERE provider = 'kling'");
    let request = h
        .enqueue(
            "Dance",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID, "image2": hosted(&h, "photo.jpg"),
                   "video_1": hosted(&h, "clip.mp4"), "aspect_ratio": "9:16",
                   "image_3": "https://s21-kling.klingai.com/ref3.png"}),
            Some(102),
        )
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-omni-refs", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let body = h.sim.last_body(Endpoint::UseapiCreate).unwrap();
    for key in ["image_1", "image_2", "video_1"] {
        assert!(is_asset(&body[key]), "{key}: {body}");
    }
    assert_eq!(
        body["image_3"], "https://s21-kling.klingai.com/ref3.png",
        "Kling's own URL goes as it is"
    );
    assert_eq!(
        body["aspect_ratio"], "auto",
        "a reference video forces auto"
    );
    let mut kinds: Vec<String> = h.sim.useapi_assets().into_iter().map(|a| a.0).collect();
    kinds.sort();
    assert_eq!(kinds, ["image/jpeg", "image/jpeg", "video/mp4"]);
}

async fn a_stored_image_address_serves_an_image2video_request_without_telegram(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue("Walk", "image2video", json!({"duration": 5}), Some(103))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET source_media = '{}' WHERE id = {}",
        json!({"storage_url": hosted(&h, "photo.jpg")}),
        request.id
    ));
    let settings = useapi(&h);
    h.run_to_end("useapi-stored", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(
        h.sim.useapi_assets(),
        [("image/jpeg".to_owned(), SIM_PHOTO.len())]
    );
    assert_eq!(h.sim.calls(Endpoint::TelegramGetFile), 0);
}

async fn an_image_that_cannot_be_fetched_fails_before_any_task_with_one_refund(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "Walk",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID, "image_tail": hosted(&h, "gone.png")}),
            Some(104),
        )
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-gone", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert!(
        failed
            .error_message
            .starts_with("Не удалось скачать изображение Kling: HTTP 404"),
        "{}",
        failed.error_message
    );
    assert_eq!(h.refund_count().await, 1);
    assert_eq!(h.sim.calls(Endpoint::UseapiCreate), 0, "nothing paid for");
}

async fn a_private_image_address_is_refused(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "Walk",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID, "image_url": hosted(&h, "photo.jpg")}),
            Some(105),
        )
        .await;
    let mut settings = useapi(&h);
    settings.push(("GENWORKER_ALLOW_PRIVATE_URLS", "false".to_owned()));
    h.run_to_end(
        "useapi-private-image",
        &pairs(&settings),
        &[request.id],
        WITHIN,
    )
    .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert!(
        failed.error_message.starts_with(
            "Не удалось скачать изображение Kling: refused to fetch the private address 127.0.0.1"
        ),
        "{}",
        failed.error_message
    );
    assert_eq!(h.sim.calls(Endpoint::UseapiCreate), 0);
    assert_eq!(h.refund_count().await, 1);
}

async fn the_task_reports_the_videos_duration_resolution_and_aspect_ratio(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let request = h
        .enqueue(
            "City",
            "text2video",
            json!({"duration": 7, "aspect_ratio": "9:16"}),
            Some(106),
        )
        .await;
    let settings = useapi(&h);
    h.run_to_end("useapi-facts", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(done.video_resolution, "1280x720", "the work's size");
    assert_eq!(
        done.duration,
        Some(5),
        "the task's own duration (7 s is sent as 5)"
    );
    assert_eq!(done.aspect_ratio, "9:16");
    let params = &done.generation_params.0;
    assert_eq!(params["resolution"], "1280x720", "{params}");
    assert_eq!(params["duration"], 5, "{params}");
}
