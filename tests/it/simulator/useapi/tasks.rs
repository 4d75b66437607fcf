//! useapi.net Kling tasks: both id shapes and status styles from pending to a
//! downloaded video, failures, ids, the fallback poll path, the knobs over HTTP.

use super::support::*;

/// Creates a text2video task, sees it pending, finishes it, checks the
/// success shape and downloads its video through the work download.
async fn text2video_round(sim: &Simulator, shape: UseapiIdShape, style: UseapiStatusStyle) {
    let knobs = Knobs {
        useapi_task_id_in: shape,
        useapi_status_style: style,
        video_bytes: 100_000,
        ..pending_knobs()
    };
    sim.set_knobs(knobs.clone());
    let (status, created) = post(sim, "/v1/kling/videos/text2video", &text2video()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(sim.last_body(Endpoint::UseapiCreate), Some(text2video()));
    let n = task_id(&created, shape);
    let (status, pending) = get(sim, &format!("/v1/kling/tasks/{n}?email=acc%40example.com")).await;
    assert_eq!(status, 200);
    let expected = match style {
        UseapiStatusStyle::Numeric => {
            json!({"task": {"id": n, "status": 5, "status_name": "processing"}})
        }
        UseapiStatusStyle::Text => json!({"status": "PROCESSING", "task": {"id": n}}),
    };
    assert_eq!(pending, expected);

    sim.set_knobs(Knobs {
        outcome: Outcome::Succeed,
        ..knobs
    });
    let (status, done) = get(sim, &format!("/v1/kling/tasks/{n}")).await;
    assert_eq!(status, 200);
    let work_id = 555_000 + n;
    let video = format!("{}/files/{n}.mp4", sim.base_url());
    let status_value = match style {
        UseapiStatusStyle::Numeric => json!(99),
        UseapiStatusStyle::Text => json!("SUCCEED"),
    };
    let mut expected = json!({
        "status": status_value,
        "status_final": true,
        "task": {"id": n, "taskInfo": {"arguments": [
            {"name": "duration", "value": "5"},
            {"name": "aspect_ratio", "value": "9:16"},
        ]}},
        "works": [{"workId": work_id, "status": status_value, "resource":
            {"resource": video, "duration": 5100, "width": 1280, "height": 720}}],
    });
    if style == UseapiStatusStyle::Numeric {
        expected["status_name"] = json!("succeed");
    }
    assert_eq!(done, expected);

    let (status, download) = get(
        sim,
        &format!(
            "/v1/kling/assets/download?workIds={work_id}&fileTypes=MP4&email=acc%40example.com"
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(download, json!({"cdnUrl": video}));
    let bytes = http()
        .get(&video)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len() as u64, video_size(100_000));
}

#[tokio::test]
async fn useapi_text2video_runs_to_a_downloadable_video_in_every_shape() {
    let sim = start(Knobs::default()).await;
    let mut rounds = 0;
    for shape in [UseapiIdShape::Task, UseapiIdShape::Top, UseapiIdShape::Data] {
        for style in [UseapiStatusStyle::Numeric, UseapiStatusStyle::Text] {
            text2video_round(&sim, shape, style).await;
            rounds += 1;
        }
    }
    assert_eq!(sim.useapi_task_count(), rounds);
    assert_eq!(sim.task_count(), rounds);
    assert_eq!(sim.calls(Endpoint::UseapiCreate), rounds);
    assert_eq!(sim.calls(Endpoint::UseapiTask), 2 * rounds);
    assert_eq!(sim.calls(Endpoint::UseapiDownload), rounds);
    assert_eq!(sim.calls(Endpoint::VideoFile), rounds);
    assert_eq!(sim.creates_for("A fox in snow"), rounds);
    assert!(sim.useapi_emails().iter().all(|e| e == "acc@example.com"));
    assert_eq!(sim.useapi_emails().len() as u64, 3 * rounds);
}

#[tokio::test]
async fn useapi_ids_count_up_from_777001() {
    let sim = start(Knobs::default()).await;
    for expected in [777_001u64, 777_002] {
        let (_, created) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
        assert_eq!(created, json!({"task": {"id": expected, "status": 5}}));
    }
}

#[tokio::test]
async fn useapi_rejected_task_answers_the_failure_shape() {
    let rejected = Knobs {
        outcome: Outcome::Reject {
            message: "Content moderation failed".into(),
        },
        ..Knobs::default()
    };
    let sim = start(rejected.clone()).await;
    let (_, created) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    let n = task_id(&created, UseapiIdShape::Task);
    let (status, failed) = get(&sim, &format!("/v1/kling/tasks/{n}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        failed,
        json!({"status": 50, "status_name": "failed", "status_final": true,
            "task": {"id": n, "failMsg": "Content moderation failed"}})
    );
    sim.set_knobs(Knobs {
        useapi_status_style: UseapiStatusStyle::Text,
        ..rejected
    });
    let (_, failed) = get(&sim, &format!("/v1/tasks/{n}")).await;
    assert_eq!(
        failed,
        json!({"status": "FAILED", "status_final": true,
            "task": {"id": n, "failMsg": "Content moderation failed"}})
    );
    // A failed task has no work to download.
    let work = 555_000 + n;
    let (status, _) = get(
        &sim,
        &format!("/v1/kling/assets/download?workIds={work}&fileTypes=MP4"),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn useapi_unknown_task_is_404_on_both_paths() {
    let sim = start(Knobs::default()).await;
    for path in ["/v1/kling/tasks/777001", "/v1/tasks/777001"] {
        let (status, body) = get(&sim, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body, json!({"error": "ResourceNotFound"}));
    }
    assert_eq!(sim.calls(Endpoint::UseapiTask), 2);
    assert_eq!(sim.calls(Endpoint::UseapiTaskFallback), 1);
    // The fallback answers a known task as the main path does.
    let (_, created) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    let n = task_id(&created, UseapiIdShape::Task);
    let (status, done) = get(&sim, &format!("/v1/tasks/{n}")).await;
    assert_eq!(status, 200);
    assert_eq!(done["status"], 99);
    assert_eq!(sim.calls(Endpoint::UseapiTaskFallback), 2);
}

#[tokio::test]
async fn useapi_knobs_are_settable_over_http() {
    let sim = start(Knobs::default()).await;
    let response = http()
        .put(format!("{}/_sim/knobs", sim.base_url()))
        .json(&json!({"useapi_task_id_in": "Top", "useapi_status_style": "Text"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let knobs = sim.knobs();
    assert_eq!(knobs.useapi_task_id_in, UseapiIdShape::Top);
    assert_eq!(knobs.useapi_status_style, UseapiStatusStyle::Text);
    let (_, created) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    assert_eq!(created, json!({"taskId": "777001"}));
}
