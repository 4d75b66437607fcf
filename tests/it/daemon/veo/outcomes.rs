//! Veo requests that succeed or fail: the bot's bodies, button, messages and refunds.

use genworker::simulator::{
    Endpoint, GeminiRedirect, Outcome, ResultMode, SIM_GEMINI_API_KEY, SIM_PHOTO_FILE_ID,
    SIM_VERTEX_PROJECT,
};
use serde_json::{Value, json};

use super::super::{Harness, pairs};
use super::{WITHIN, knobs, veo, veo_model};
use crate::support::{BotRelease, TestDb, on_every_schema};

on_every_schema!(
    vertex_text2video_sends_the_bots_body_and_finishes_with_its_button,
    gemini_image2video_sends_the_image_and_keeps_the_key_on_its_origin,
    a_rejected_operation_fails_with_one_refund_and_the_bots_text,
    a_filtered_operation_fails_with_the_bots_no_videos_text,
);

async fn vertex_text2video_sends_the_bots_body_and_finishes_with_its_button(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.set_knobs(knobs(|k| k.result = ResultMode::Base64));
    let request = h
        .enqueue_for(
            slug,
            "What if the moon were made of glass?",
            "text2video",
            json!({"duration": 8, "resolution": "720p", "aspect_ratio": "9:16", "mode": "text2video"}),
            Some(71),
        )
        .await;
    let settings = veo(&h, "vertex");
    h.run_to_end("veo-vertex", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert_eq!(
        h.sim.last_body(Endpoint::VeoSubmit).unwrap(),
        json!({"instances": [{"prompt": "What if the moon were made of glass?"}],
               "parameters": {"durationSeconds": 8, "resolution": "720p", "aspectRatio": "9:16",
                              "sampleCount": 1, "generateAudio": true}})
    );
    assert!(
        done.provider_job_id.starts_with(&format!(
            "projects/{SIM_VERTEX_PROJECT}/locations/us-central1/publishers/google/models/\
             veo-3.1-fast-generate-preview/operations/"
        )),
        "{}",
        done.provider_job_id
    );
    let metadata: Value = h.outcome_columns(request.id).await.3;
    assert_eq!(metadata["provider"], "veo");
    assert_eq!(metadata["operationName"], done.provider_job_id.as_str());
    assert_eq!(
        metadata["resolvedModelName"],
        "veo-3.1-fast-generate-preview"
    );
    assert_eq!(metadata["parameters"]["generateAudio"], true);
    assert!(
        metadata.to_string().len() < 20_000,
        "the base64 video is not stored: {} bytes",
        metadata.to_string().len()
    );
    assert!(h.sim.calls(Endpoint::GoogleToken) >= 1);
    let told = h.sim.telegram_messages();
    assert_eq!(told.len(), 1, "{told:?}");
    if h.db.release == BotRelease::Seed {
        let markup = told[0].reply_markup.as_deref().unwrap_or_default();
        assert!(
            markup.contains(&format!("\"extend_video:{}\"", request.id)),
            "the bot's extension button: {markup}"
        );
    }
}

async fn gemini_image2video_sends_the_image_and_keeps_the_key_on_its_origin(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim
        .set_knobs(knobs(|k| k.gemini_redirect = GeminiRedirect::OtherOrigin));
    let request = h
        .enqueue_for(
            slug,
            "Animate this photo: waves hit the rocks",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID, "aspect_ratio": "16:9",
                   "seed": 5, "generate_audio": true}),
            Some(72),
        )
        .await;
    let settings = veo(&h, "gemini");
    h.run_to_end("veo-gemini", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    let body = h.sim.last_body(Endpoint::VeoSubmit).unwrap();
    assert_eq!(body["instances"][0]["image"]["mimeType"], "image/jpeg");
    assert!(
        body["instances"][0]["image"]["bytesBase64Encoded"]
            .as_str()
            .is_some_and(|data| data.starts_with("/9j/")),
        "{body}"
    );
    let parameters = &body["parameters"];
    for refused in ["generateAudio", "seed", "sampleCount"] {
        assert!(parameters.get(refused).is_none(), "{parameters}");
    }
    assert_eq!(parameters["aspectRatio"], "16:9");
    assert!(
        done.provider_job_id
            .starts_with("models/veo-3.1-fast-generate-preview/operations/")
    );
    assert_eq!(h.sim.calls(Endpoint::VeoDownload), 1);
    assert_eq!(
        h.sim.calls(Endpoint::VeoBlob),
        1,
        "the redirect was followed"
    );
    let blob = h.sim.last_headers(Endpoint::VeoBlob).unwrap();
    assert!(
        blob.get("x-goog-api-key").is_none(),
        "the key never leaves its origin: {blob:?}"
    );
    let download = h.sim.last_headers(Endpoint::VeoDownload).unwrap();
    assert_eq!(download["x-goog-api-key"], SIM_GEMINI_API_KEY);
    assert_eq!(
        h.sim.calls(Endpoint::GoogleToken),
        0,
        "no OAuth2 for Gemini"
    );
}

async fn a_rejected_operation_fails_with_one_refund_and_the_bots_text(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.set_knobs(knobs(|k| {
        k.outcome = Outcome::Reject {
            message: "Запрос нарушает правила".into(),
        }
    }));
    let request = h
        .enqueue_for(slug, "forbidden", "text2video", json!({}), Some(73))
        .await;
    let settings = veo(&h, "vertex");
    h.run_to_end("veo-reject", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message,
        r#"{"code": 3, "message": "Запрос нарушает правила"}"#
    );
    assert_eq!(h.refund_count().await, 1);
    assert_eq!(h.sim.operations_count(), 1, "a failed task is not retried");
    let told = h.sim.telegram_messages();
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].text.as_deref(),
        Some(r#"❌ Ошибка генерации видео: {"code": 3, "message": "Запрос нарушает правила"}"#)
    );
}

async fn a_filtered_operation_fails_with_the_bots_no_videos_text(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.set_knobs(knobs(|k| {
        k.outcome = Outcome::Filtered {
            reason: "Support code 58061214".into(),
        }
    }));
    let request = h
        .enqueue_for(slug, "filtered", "text2video", json!({}), Some(74))
        .await;
    let settings = veo(&h, "gemini");
    h.run_to_end("veo-filtered", &pairs(&settings), &[request.id], WITHIN)
        .await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message,
        "Veo не вернул видеоролики в ответе операции."
    );
    assert_eq!(h.refund_count().await, 1);
}
