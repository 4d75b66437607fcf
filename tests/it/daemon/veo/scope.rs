//! What Veo leaves alone or refuses: private result addresses, the bot's
//! extension requests; and Kling beside Veo in one `genworker run`.

use std::time::Duration;

use genworker::simulator::{Endpoint, ResultMode, SIM_PHOTO_FILE_ID};
use serde_json::json;

use super::super::{Harness, pairs};
use super::{WITHIN, knobs, veo, veo_model};
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    a_private_result_address_is_refused,
    the_bots_extension_requests_stay_queued_and_untouched,
    kling_and_veo_requests_finish_in_one_run_each_in_its_style,
);

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
    h.run_to_end("veo-private", &pairs(&settings), &[request.id], WITHIN)
        .await;
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
    h.run_to_end("veo-extend", &pairs(&settings), &[parent.id], WITHIN)
        .await;
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
