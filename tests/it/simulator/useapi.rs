//! Kling through useapi.net, over loopback: auth, account set-up, the three
//! create endpoints, both id shapes and both status styles, the work download,
//! failures, the fallback poll path, assets and faults.

use genworker::simulator::{
    Endpoint, Fault, Knobs, Outcome, Simulator, SimulatorConfig, UseapiIdShape, UseapiStatusStyle,
    video_size,
};
use serde_json::{Value, json};

const KEY: &str = "useapi-key";

async fn start(knobs: Knobs) -> Simulator {
    let mut config = SimulatorConfig::new(KEY, "useapi-secret", "777:useapi-token");
    config.knobs = knobs;
    Simulator::start(config).await.unwrap()
}

/// An HTTP client (the crate's own builder: its TLS provider set up).
fn http() -> reqwest::Client {
    genworker::net::client_builder().build().unwrap()
}

/// `(status, JSON body)` of a POST with the key.
async fn post(sim: &Simulator, path: &str, body: &Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// `(status, JSON body)` of a GET with the key.
async fn get(sim: &Simulator, path: &str) -> (u16, Value) {
    let response = http()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn text2video() -> Value {
    json!({"prompt": "A fox in snow", "duration": "5", "model_name": "kling-v2-6",
        "maxJobs": 5, "email": "acc@example.com", "mode": "std", "aspect_ratio": "9:16"})
}

fn omni() -> Value {
    json!({"prompt": "Dance", "duration": "10", "aspect_ratio": "1:1", "omni_version": "o1",
        "maxJobs": 5, "image_1": "http://127.0.0.1:1/a.png"})
}

/// The task id of a create answer, wherever the shape puts it.
fn task_id(answer: &Value, shape: UseapiIdShape) -> u64 {
    match shape {
        UseapiIdShape::Task => {
            assert_eq!(answer["task"]["status"], 5, "{answer}");
            answer["task"]["id"].as_u64().unwrap()
        }
        UseapiIdShape::Top => answer["taskId"].as_str().unwrap().parse().unwrap(),
        UseapiIdShape::Data => answer["data"]["id"].as_u64().unwrap(),
    }
}

fn pending_knobs() -> Knobs {
    Knobs {
        outcome: Outcome::NeverFinish,
        ..Knobs::default()
    }
}

#[tokio::test]
async fn useapi_refuses_calls_without_the_key() {
    let sim = start(Knobs::default()).await;
    let base = sim.base_url();
    let calls = [
        http()
            .post(format!("{base}/v1/kling/accounts"))
            .json(&json!({})),
        http()
            .post(format!("{base}/v1/kling/videos/text2video"))
            .json(&text2video()),
        http().get(format!("{base}/v1/kling/tasks/777001")),
        http().get(format!("{base}/v1/tasks/777001")),
        http()
            .post(format!("{base}/v1/kling/assets/"))
            .header("content-type", "image/png")
            .body(vec![1, 2, 3]),
        http().get(format!(
            "{base}/v1/kling/assets/download?workIds=1&fileTypes=MP4"
        )),
    ];
    for (i, call) in calls.into_iter().enumerate() {
        let auth = if i % 2 == 0 { "Bearer wrong" } else { "" };
        let response = call.header("authorization", auth).send().await.unwrap();
        assert_eq!(response.status(), 401, "call {i}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "Unauthorized"}));
    }
    assert_eq!(sim.calls(Endpoint::UseapiCreate), 1);
    assert_eq!(sim.task_count(), 0);
    assert!(sim.useapi_assets().is_empty());
}

#[tokio::test]
async fn useapi_account_setup_answers_and_needs_email_and_password() {
    let sim = start(Knobs::default()).await;
    let account = json!({"email": "acc@example.com", "password": "secret", "maxJobs": 5});
    let (status, body) = post(&sim, "/v1/kling/accounts", &account).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"email": "acc@example.com", "maxJobs": 5}));
    assert_eq!(sim.last_body(Endpoint::UseapiAccount), Some(account));
    for bad in [
        json!({"email": "a@b.c"}),
        json!({"password": "x", "maxJobs": 5}),
    ] {
        let (status, body) = post(&sim, "/v1/kling/accounts", &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body, json!({"error": "email and password are required"}));
    }
    assert_eq!(sim.calls(Endpoint::UseapiAccount), 3);
    assert_eq!(sim.useapi_emails(), vec!["acc@example.com".to_owned()]);
}

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
async fn useapi_create_checks_its_body() {
    let sim = start(Knobs::default()).await;
    let mut bad = text2video();
    bad["duration"] = json!(5);
    let (status, body) = post(&sim, "/v1/kling/videos/text2video", &bad).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("duration"),
        "{body}"
    );
    assert_eq!(sim.last_body(Endpoint::UseapiCreate), Some(bad));
    bad = text2video();
    bad["maxJobs"] = json!(51);
    assert_eq!(post(&sim, "/v1/kling/videos/text2video", &bad).await.0, 400);
    bad = text2video();
    bad["model_name"] = json!("v2-6");
    assert_eq!(post(&sim, "/v1/kling/videos/text2video", &bad).await.0, 400);
    assert_eq!(sim.task_count(), 0);
}

#[tokio::test]
async fn useapi_image2video_frames_needs_an_image() {
    let sim = start(Knobs::default()).await;
    let mut body = text2video();
    let (status, answer) = post(&sim, "/v1/kling/videos/image2video-frames", &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer, json!({"error": "image is required"}));
    body["image"] = json!("data:image/png;base64,AAAA");
    assert_eq!(
        post(&sim, "/v1/kling/videos/image2video-frames", &body)
            .await
            .0,
        400
    );
    body["image"] = json!("https://example.com/a.png");
    let (status, answer) = post(&sim, "/v1/kling/videos/image2video-frames", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(sim.useapi_task_count(), 1);
}

#[tokio::test]
async fn useapi_omni_refuses_model_name_and_accepts_image_1() {
    let sim = start(Knobs::default()).await;
    let mut body = omni();
    body["model_name"] = json!("kling-o1");
    let (status, answer) = post(&sim, "/v1/kling/videos/omni", &body).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("model_name"),
        "{answer}"
    );
    body = omni();
    body["duration"] = json!("12");
    assert_eq!(post(&sim, "/v1/kling/videos/omni", &body).await.0, 400);

    let (status, created) = post(&sim, "/v1/kling/videos/omni", &omni()).await;
    assert_eq!(status, 200, "{created}");
    let n = task_id(&created, UseapiIdShape::Task);
    let (_, done) = get(&sim, &format!("/v1/kling/tasks/{n}")).await;
    assert_eq!(done["status"], 99);
    assert_eq!(
        done["task"]["taskInfo"]["arguments"],
        json!([{"name": "duration", "value": "10"}, {"name": "aspect_ratio", "value": "1:1"}])
    );
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
async fn useapi_download_needs_mp4_and_a_known_work() {
    let sim = start(Knobs::default()).await;
    let (_, created) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    let n = task_id(&created, UseapiIdShape::Task);
    let work = 555_000 + n;
    // Not polled yet: not finished, so no work.
    let path = format!("/v1/kling/assets/download?workIds={work}&fileTypes=MP4");
    assert_eq!(get(&sim, &path).await.0, 404);
    assert_eq!(get(&sim, &format!("/v1/kling/tasks/{n}")).await.0, 200);
    assert_eq!(get(&sim, &path).await.0, 200);
    let (status, body) = get(
        &sim,
        &format!("/v1/kling/assets/download?workIds={work}&fileTypes=GIF"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&sim, "/v1/kling/assets/download?workIds=1&fileTypes=MP4").await;
    assert_eq!((status, body), (404, json!({"error": "ResourceNotFound"})));
    assert_eq!(sim.calls(Endpoint::UseapiDownload), 4);
}

#[tokio::test]
async fn useapi_asset_upload_is_stored_and_served_back() {
    let sim = start(Knobs::default()).await;
    let image = b"\x89PNG\r\n\x1a\nnot really".to_vec();
    for path in [
        "/v1/kling/assets/?email=acc%40example.com",
        "/v1/kling/assets",
    ] {
        let response = http()
            .post(format!("{}{path}", sim.base_url()))
            .bearer_auth(KEY)
            .header("content-type", "image/png")
            .body(image.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        let url = body["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/_sim/useapi-assets/asset-", sim.base_url())),
            "{url}"
        );
        assert!(url.ends_with(".png"), "{url}");
        let served = http().get(url).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().to_vec(), image);
    }
    let video = http()
        .post(format!("{}/v1/kling/assets/", sim.base_url()))
        .bearer_auth(KEY)
        .header("content-type", "video/mp4")
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    let body: Value = video.json().await.unwrap();
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with("/_sim/useapi-assets/asset-3.mp4"),
        "{body}"
    );
    for (content_type, bytes) in [("image/png", Vec::new()), ("text/plain", vec![1u8])] {
        let response = http()
            .post(format!("{}/v1/kling/assets/", sim.base_url()))
            .bearer_auth(KEY)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{content_type}");
    }
    assert_eq!(
        sim.useapi_assets(),
        vec![
            ("image/png".to_owned(), image.len()),
            ("image/png".to_owned(), image.len()),
            ("video/mp4".to_owned(), 1000),
        ]
    );
    assert_eq!(sim.calls(Endpoint::UseapiAsset), 5);
    assert_eq!(sim.useapi_emails(), vec!["acc@example.com".to_owned()]);
    let missing = http()
        .get(format!("{}/_sim/useapi-assets/asset-9.png", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn useapi_create_429_fault_is_served_once() {
    let sim = start(Knobs::default()).await;
    sim.inject(
        Endpoint::UseapiCreate,
        vec![Fault::RateLimited {
            retry_after_secs: 3,
        }],
    );
    let response = http()
        .post(format!("{}/v1/kling/videos/text2video", sim.base_url()))
        .bearer_auth(KEY)
        .json(&text2video())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"error": "Too many parallel jobs"}));
    assert_eq!(sim.task_count(), 0);
    let (status, _) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    assert_eq!(status, 200);
    assert_eq!(sim.calls(Endpoint::UseapiCreate), 2);
    assert_eq!(sim.useapi_task_count(), 1);
}

#[tokio::test]
async fn useapi_faults_work_on_every_new_endpoint() {
    let sim = start(Knobs::default()).await;
    let endpoints = [
        (Endpoint::UseapiAccount, "POST", "/v1/kling/accounts"),
        (Endpoint::UseapiTask, "GET", "/v1/kling/tasks/1"),
        (Endpoint::UseapiTaskFallback, "GET", "/v1/tasks/1"),
        (Endpoint::UseapiAsset, "POST", "/v1/kling/assets/"),
        (Endpoint::UseapiDownload, "GET", "/v1/kling/assets/download"),
    ];
    for (endpoint, method, path) in endpoints {
        sim.inject(endpoint, vec![Fault::ServerError]);
        let url = format!("{}{path}", sim.base_url());
        let request = match method {
            "POST" => http().post(url).body("x"),
            _ => http().get(url),
        };
        let response = request.bearer_auth(KEY).send().await.unwrap();
        assert_eq!(response.status(), 500, "{}", endpoint.name());
    }
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
