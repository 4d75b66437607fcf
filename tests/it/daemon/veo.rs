//! Veo end to end on both backends, against the simulator's Vertex AI and
//! Gemini API: the bot's body and messages, the failure with one refund, the
//! crash resumed without a second operation, tokens refreshed, the key kept to
//! its own origin, private result addresses refused, a saved task finished
//! with Telegram down, the bot's extension requests left alone, and Kling and
//! Veo served by one daemon.

use std::time::Duration;

use genworker::simulator::{
    Endpoint, Fault, GeminiRedirect, Knobs, Outcome, ResultMode, SIM_GEMINI_API_KEY,
    SIM_PHOTO_FILE_ID, SIM_VERTEX_PROJECT,
};
use serde_json::{Value, json};

use super::{Harness, pairs};
use crate::support::{BotRelease, TestDb, on_every_schema};

on_every_schema!(
    vertex_text2video_sends_the_bots_body_and_finishes_with_its_button,
    gemini_image2video_sends_the_image_and_keeps_the_key_on_its_origin,
    a_rejected_operation_fails_with_one_refund_and_the_bots_text,
    a_filtered_operation_fails_with_the_bots_no_videos_text,
    a_crash_resumes_the_saved_operation_without_a_second_one,
    a_saved_operation_finishes_while_telegram_is_down,
    tokens_are_refreshed_before_they_expire,
    a_refused_token_pauses_veo_and_keeps_the_request,
    a_wrong_gemini_key_pauses_veo_and_keeps_the_request,
    a_private_result_address_is_refused,
    the_bots_extension_requests_stay_queued_and_untouched,
    kling_and_veo_requests_finish_in_one_run_each_in_its_style,
);

/// The catalog's Veo model: the latest release has `veo3-fast`; on the seed's
/// tables it is added as the bot's migrations 0003/0007/0008 leave it.
async fn veo_model(h: &Harness) -> &'static str {
    if h.db.release == BotRelease::Seed {
        let json = |text: &str| {
            if h.db.url().starts_with("postgres") {
                format!("'{text}'::jsonb")
            } else {
                format!("'{text}'")
            }
        };
        h.sql(&format!(
            "INSERT INTO botapp_aimodel (slug, name, display_name, type, provider, description, \
             short_description, price, api_endpoint, api_model_name, max_prompt_length, \
             supports_image_input, max_input_images, default_params, allowed_params, max_quantity, \
             cooldown_seconds, daily_limit, is_active, is_beta, min_user_level, \"order\", \
             total_generations, total_errors, average_generation_time, created_at, updated_at) \
             SELECT 'veo3-fast', 'Veo 3.1 Fast', 'Veo 3.1 Fast', 'video', 'veo', '', '', 19, '', \
             'veo-3.1-fast-generate-preview', 1000, true, 1, {}, {}, 1, 0, NULL, true, false, 0, \
             2, 0, 0, 0, created_at, updated_at FROM botapp_aimodel WHERE slug = '{}'",
            json(r#"{"duration": 8, "resolution": "720p", "fps": 24, "aspect_ratio": "9:16"}"#),
            json(r#"{"duration": {"min": 2, "max": 8}, "resolution": ["720p", "480p"], "fps": [24, 30]}"#),
            h.db.kling_slug()
        ));
    }
    "veo3-fast"
}

/// The daemon's Veo settings for `style`, against the simulator.
fn veo(h: &Harness, style: &str) -> Vec<(&'static str, String)> {
    let base = h.sim.base_url();
    vec![
        ("VEO_API_STYLE", style.to_owned()),
        (
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            h.sim.service_account_json(),
        ),
        ("VERTEX_PROJECT_ID", SIM_VERTEX_PROJECT.to_owned()),
        ("VERTEX_API_BASE_URL", base.clone()),
        ("GOOGLE_STORAGE_BASE_URL", base.clone()),
        ("GEMINI_API_BASE_URL", base),
        ("GEMINI_API_KEY", SIM_GEMINI_API_KEY.to_owned()),
        ("VEO_POLL_INTERVAL", "0.02".to_owned()),
        ("GENWORKER_ALLOW_PRIVATE_URLS", "true".to_owned()),
    ]
}

fn knobs(change: impl FnOnce(&mut Knobs)) -> Knobs {
    let mut knobs = Knobs::default();
    change(&mut knobs);
    knobs
}

const WITHIN: Duration = Duration::from_secs(20);

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
    let daemon = h.start("veo-vertex", &pairs(&settings));
    h.wait_final(&[request.id], WITHIN).await;
    daemon.shutdown().await;
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
    let daemon = h.start("veo-gemini", &pairs(&settings));
    h.wait_final(&[request.id], WITHIN).await;
    daemon.shutdown().await;
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
    let daemon = h.start("veo-reject", &pairs(&settings));
    h.wait_final(&[request.id], WITHIN).await;
    daemon.shutdown().await;
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
    let daemon = h.start("veo-filtered", &pairs(&settings));
    h.wait_final(&[request.id], WITHIN).await;
    daemon.shutdown().await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.error_message,
        "Veo не вернул видеоролики в ответе операции."
    );
    assert_eq!(h.refund_count().await, 1);
}

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
    let daemon = h.start("veo-tokens", &pairs(&settings));
    h.wait_final(&[request.id], WITHIN).await;
    daemon.shutdown().await;
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

async fn a_private_result_address_is_refused(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    h.sim.set_knobs(knobs(|k| k.result = ResultMode::Url));
    let request = h
        .enqueue_for(slug, "a private result", "text2video", json!({}), Some(79))
        .await;
    let mut settings = veo(&h, "vertex");
    settings.retain(|(key, _)| *key != "GENWORKER_ALLOW_PRIVATE_URLS");
    settings.push(("GENWORKER_ALLOW_PRIVATE_URLS", "false".to_owned()));
    settings.push(("KLING_ALLOW_PRIVATE_URLS", "true".to_owned()));
    let daemon = h.start("veo-private", &pairs(&settings));
    h.wait_final(&[request.id], WITHIN).await;
    daemon.shutdown().await;
    let failed = h.request(request.id).await;
    assert_eq!(failed.status, "error");
    assert!(
        failed.error_message.starts_with(
            "Не удалось скачать видео Veo: refused to fetch the private address 127.0.0.1"
        ),
        "{}",
        failed.error_message
    );
    assert_eq!(h.sim.calls(Endpoint::VeoDownload), 0, "nothing was fetched");
    assert_eq!(h.refund_count().await, 1);
}

async fn the_bots_extension_requests_stay_queued_and_untouched(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    let parent = h
        .enqueue_for(slug, "the parent", "text2video", json!({}), Some(80))
        .await;
    let settings = veo(&h, "vertex");
    let daemon = h.start("veo-extend", &pairs(&settings));
    h.wait_final(&[parent.id], WITHIN).await;
    daemon.shutdown().await;
    // The bot's extend flow inserts rows like these (veo_vertex.md §7).
    let by_parent = h
        .enqueue_for(slug, "extend: parent", "image2video", json!({}), Some(80))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET parent_request_id = {} WHERE id = {}",
        parent.id, by_parent.id
    ));
    let by_params = h
        .enqueue_for(
            slug,
            "extend: params",
            "image2video",
            json!({"duration": 8, "extend_parent_request_id": parent.id, "mode": "image2video"}),
            Some(80),
        )
        .await;
    let by_media = h
        .enqueue_for(slug, "extend: media", "image2video", json!({}), Some(80))
        .await;
    let media = if h.db.url().starts_with("postgres") {
        "'{\"parent_result_url\": \"/media/videos/x.mp4\"}'::jsonb"
    } else {
        "'{\"parent_result_url\": \"/media/videos/x.mp4\"}'"
    };
    h.sql(&format!(
        "UPDATE botapp_genrequest SET source_media = {media} WHERE id = {}",
        by_media.id
    ));
    let ordinary = h
        .enqueue_for(slug, "an ordinary one", "text2video", json!({}), Some(81))
        .await;
    let extensions = [by_parent.id, by_params.id, by_media.id];
    let before: Vec<_> = {
        let mut rows = Vec::new();
        for id in extensions {
            rows.push(h.request(id).await);
        }
        rows
    };
    let daemon = h.start("veo-extend-2", &pairs(&settings));
    h.wait_final(&[ordinary.id], WITHIN).await;
    // A few more claim rounds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    daemon.shutdown().await;
    for (id, was) in extensions.iter().zip(before) {
        let now = h.request(*id).await;
        assert_eq!(now.status, "queued", "request {id}");
        assert_eq!(now.started_at, was.started_at, "request {id}");
        assert_eq!(now.error_message, was.error_message, "request {id}");
        assert!(h.lease(*id).await.is_none(), "no lease for request {id}");
    }
    assert_eq!(
        h.sim.operations_count(),
        2,
        "the parent and the ordinary one"
    );
}

async fn kling_and_veo_requests_finish_in_one_run_each_in_its_style(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let slug = veo_model(&h).await;
    let kling = h
        .enqueue("a Kling fox", "text2video", json!({}), Some(82))
        .await;
    let veo_text = h
        .enqueue_for(slug, "a Veo moon", "text2video", json!({}), Some(83))
        .await;
    let veo_image = h
        .enqueue_for(
            slug,
            "a Veo photo",
            "image2video",
            json!({"input_image_file_id": SIM_PHOTO_FILE_ID}),
            Some(84),
        )
        .await;
    let extension = h
        .enqueue_for(
            slug,
            "extend: the bot's own",
            "image2video",
            json!({"duration": 8, "extend_parent_request_id": veo_text.id}),
            Some(83),
        )
        .await;
    // `genworker run` itself, configured as an operator would.
    let settings = veo(&h, "vertex");
    let daemon = h.spawn_binary(&pairs(&settings));
    let ids = [kling.id, veo_text.id, veo_image.id];
    h.wait_final(&ids, WITHIN).await;
    assert!(daemon.terminate().success(), "SIGTERM ends it cleanly");
    for id in ids {
        let done = h.request(id).await;
        assert_eq!(done.status, "done", "{id}: {}", done.error_message);
    }
    assert_eq!(h.sim.task_count(), 1, "one Kling task");
    assert_eq!(h.sim.operations_count(), 2, "two Veo operations");
    assert_eq!(h.outcome_columns(kling.id).await.3["api_style"], "generic");
    assert_eq!(
        h.outcome_columns(veo_text.id).await.3["api_style"],
        "vertex"
    );
    assert_eq!(h.sim.telegram_messages().len(), 3);
    assert_eq!(h.request(extension.id).await.status, "queued");
    assert!(h.lease(extension.id).await.is_none());
}
