//! Kling in both API styles (generic and official), over loopback: create, poll,
//! auth, outcomes and the results by URL and as base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use genworker::simulator::{Endpoint, Knobs, Outcome, ResultMode, video_content};
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn generic_create_poll_succeeds_with_url() {
    let sim = start(Knobs::default()).await;
    let (status, created) = generic_create(&sim, "a red fox").await;
    assert_eq!(status, 200);
    assert_eq!(str_at(&created, "/status"), "queued");
    let id = str_at(&created, "/task_id").to_owned();

    let (status, polled) = generic_poll(&sim, &id).await;
    assert_eq!(status, 200);
    assert_eq!(str_at(&polled, "/status"), "succeeded");
    let url = str_at(&polled, "/result/video_url");
    assert_eq!(url, format!("{}/files/{id}.mp4", sim.base_url()));

    let response = http().get(url).send().await.expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "video/mp4");
    let bytes = response.bytes().await.expect("body");
    assert_eq!(bytes.len(), 64 * 1024);
    assert_eq!(&bytes[4..8], b"ftyp");
    assert_eq!(bytes.to_vec(), video_content(64 * 1024));

    assert_eq!(sim.calls(Endpoint::KlingCreate), 1);
    assert_eq!(sim.calls(Endpoint::KlingStatus), 1);
    assert_eq!(sim.calls(Endpoint::VideoFile), 1);
    assert_eq!(sim.creates_for("a red fox"), 1);
    assert_eq!(sim.task_count(), 1);
    let body = sim.last_create_body().expect("a create body");
    assert_eq!(body["model"], "kling-v1");
    let headers = sim.last_headers(Endpoint::KlingCreate).expect("headers");
    assert_eq!(headers["authorization"], generic_auth());
    sim.shutdown().await;
}

#[tokio::test]
async fn generic_base64_result_decodes_to_the_video() {
    let size = 100_001;
    let knobs = Knobs {
        result: ResultMode::Base64,
        video_bytes: size,
        ..Knobs::default()
    };
    let sim = start(knobs).await;
    let (_, created) = generic_create(&sim, "base64 please").await;
    let id = str_at(&created, "/task_id").to_owned();
    let (status, polled) = generic_poll(&sim, &id).await;
    assert_eq!(status, 200);
    assert_eq!(str_at(&polled, "/status"), "succeeded");
    assert_eq!(str_at(&polled, "/task_id"), id);
    let decoded = STANDARD
        .decode(str_at(&polled, "/video_base64"))
        .expect("valid base64");
    assert_eq!(decoded.len() as u64, size);
    assert_eq!(decoded, video_content(size));
}

#[tokio::test]
async fn generic_requires_the_bearer_key_and_known_ids() {
    let sim = start(Knobs::default()).await;
    let url = format!("{}/v1/video/generations", sim.base_url());
    let body = json!({"prompt": "x"});
    let (status, answer) = send(http().post(&url).json(&body)).await;
    assert_eq!((status, answer), (401, json!({"error": "unauthorized"})));
    let wrong = http().post(&url).bearer_auth("nope").json(&body);
    assert_eq!(send(wrong).await.0, 401);
    assert_eq!(sim.task_count(), 0);
    assert_eq!(sim.calls(Endpoint::KlingCreate), 2);

    let (status, answer) = generic_poll(&sim, "missing").await;
    assert_eq!((status, answer), (404, json!({"error": "task not found"})));
}

#[tokio::test]
async fn generic_reports_processing_until_finish_after() {
    let knobs = Knobs {
        finish_after_ms: 300,
        ..Knobs::default()
    };
    let sim = start(knobs).await;
    let (_, created) = generic_create(&sim, "slow").await;
    let id = str_at(&created, "/task_id").to_owned();
    let (_, polled) = generic_poll(&sim, &id).await;
    assert_eq!(str_at(&polled, "/status"), "processing");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let (_, polled) = generic_poll(&sim, &id).await;
    assert_eq!(str_at(&polled, "/status"), "succeeded");
}

#[tokio::test]
async fn reject_and_never_finish_outcomes() {
    let reject = Knobs {
        outcome: Outcome::Reject {
            message: "content policy".into(),
        },
        ..Knobs::default()
    };
    let sim = start(reject).await;
    let (_, created) = generic_create(&sim, "bad").await;
    let id = str_at(&created, "/task_id").to_owned();
    let (_, polled) = generic_poll(&sim, &id).await;
    assert_eq!(str_at(&polled, "/status"), "failed");
    assert_eq!(str_at(&polled, "/error_message"), "content policy");

    let (_, created) = official_create(&sim, "run-reject").await;
    let id = str_at(&created, "/data/task_id").to_owned();
    let (_, polled) = official_poll(&sim, "text2video", &id).await;
    assert_eq!(str_at(&polled, "/data/task_status"), "failed");
    assert_eq!(str_at(&polled, "/data/task_status_msg"), "content policy");

    // A final status never changes, even when the knobs do.
    sim.set_knobs(Knobs {
        outcome: Outcome::NeverFinish,
        ..Knobs::default()
    });
    let (_, polled) = official_poll(&sim, "text2video", &id).await;
    assert_eq!(str_at(&polled, "/data/task_status"), "failed");

    let (_, created) = generic_create(&sim, "forever").await;
    let id = str_at(&created, "/task_id").to_owned();
    for _ in 0..3 {
        let (_, polled) = generic_poll(&sim, &id).await;
        assert_eq!(str_at(&polled, "/status"), "processing");
    }
    assert_eq!(sim.knobs().outcome, Outcome::NeverFinish);
}

#[tokio::test]
async fn a_filtered_outcome_fails_a_kling_task_with_the_reason() {
    let sim = start(Knobs {
        outcome: Outcome::Filtered {
            reason: "filtered by safety".into(),
        },
        ..Knobs::default()
    })
    .await;
    let (_, created) = generic_create(&sim, "filtered").await;
    let id = str_at(&created, "/task_id").to_owned();
    let (_, polled) = generic_poll(&sim, &id).await;
    assert_eq!(str_at(&polled, "/status"), "failed");
    assert_eq!(str_at(&polled, "/error_message"), "filtered by safety");

    let (_, created) = official_create(&sim, "run-filtered").await;
    let id = str_at(&created, "/data/task_id").to_owned();
    let (_, polled) = official_poll(&sim, "text2video", &id).await;
    assert_eq!(str_at(&polled, "/data/task_status"), "failed");
    assert_eq!(
        str_at(&polled, "/data/task_status_msg"),
        "filtered by safety"
    );
}

#[tokio::test]
async fn official_create_poll_succeed_with_a_valid_jwt() {
    let knobs = Knobs {
        finish_after_ms: 200,
        ..Knobs::default()
    };
    let sim = start(knobs).await;
    let (status, created) = official_create(&sim, "run-1").await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["code"], 0);
    assert_eq!(str_at(&created, "/message"), "SUCCEED");
    assert_eq!(str_at(&created, "/request_id").len(), 36);
    assert_eq!(str_at(&created, "/data/task_status"), "submitted");
    assert_eq!(
        str_at(&created, "/data/task_info/external_task_id"),
        "run-1"
    );
    assert!(created["data"]["created_at"].is_i64());
    let id = str_at(&created, "/data/task_id").to_owned();

    let (_, polled) = official_poll(&sim, "text2video", &id).await;
    assert_eq!(str_at(&polled, "/data/task_status"), "submitted");
    let (_, polled) = official_poll(&sim, "text2video", &id).await;
    assert_eq!(str_at(&polled, "/data/task_status"), "processing");
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let (status, polled) = official_poll(&sim, "text2video", &id).await;
    assert_eq!(status, 200);
    assert_eq!(polled["code"], 0);
    assert_eq!(str_at(&polled, "/data/task_status"), "succeed");
    assert_eq!(str_at(&polled, "/data/task_result/videos/0/duration"), "5");
    let url = str_at(&polled, "/data/task_result/videos/0/url");
    assert_eq!(url, format!("{}/files/{id}.mp4", sim.base_url()));
    let bytes = http().get(url).send().await.expect("download").bytes();
    assert_eq!(bytes.await.expect("body").len(), 64 * 1024);

    // The kind in the path must match the task's.
    let (status, wrong) = official_poll(&sim, "image2video", &id).await;
    assert_eq!((status, wrong["code"].clone()), (404, json!(1203)));
    assert_eq!(sim.creates_for("run-1"), 1);
}

#[tokio::test]
async fn official_rejects_bad_tokens() {
    let sim = start(Knobs::default()).await;
    let url = format!("{}/v1/videos/text2video", sim.base_url());
    let body = json!({"prompt": "x", "external_task_id": "run-auth"});
    let cases = [
        (None, 1001),
        (Some(jwt(KEY, "wrong-secret", 1800, -5)), 1002),
        (Some(jwt("other-key", SECRET, 1800, -5)), 1002),
        (Some("not-a-jwt".to_owned()), 1002),
        (Some(jwt(KEY, SECRET, -60, -120)), 1004),
        (Some(jwt(KEY, SECRET, 1800, 60)), 1003),
    ];
    for (token, code) in cases {
        let mut request = http().post(&url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let (status, answer) = send(request).await;
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["code"], code, "{answer}");
        assert!(answer["request_id"].is_string());
    }
    assert_eq!(sim.task_count(), 0);
    // nbf a little ahead is within the 5 s leeway.
    let ok = http().post(&url).bearer_auth(jwt(KEY, SECRET, 1800, 3));
    assert_eq!(send(ok.json(&body)).await.0, 200);
}

#[tokio::test]
async fn official_duplicate_external_task_id_is_rejected() {
    let sim = start(Knobs::default()).await;
    assert_eq!(official_create(&sim, "run-dup").await.0, 200);
    let (status, answer) = official_create(&sim, "run-dup").await;
    assert_eq!(status, 400);
    assert_eq!(answer["code"], 1201);
    assert_eq!(
        str_at(&answer, "/message"),
        "external_task_id already exists"
    );
    assert_eq!(sim.creates_for("run-dup"), 2);
    assert_eq!(sim.task_count(), 1);
    assert_eq!(sim.calls(Endpoint::KlingCreate), 2);
}

#[tokio::test]
async fn official_lookup_by_external_task_id() {
    let sim = start(Knobs::default()).await;
    let (_, created) = official_create(&sim, "run-lookup").await;
    official_create(&sim, "run-other").await;
    let id = str_at(&created, "/data/task_id").to_owned();
    let lookup = |external: &str| {
        http()
            .get(format!("{}/v1/videos/text2video", sim.base_url()))
            .query(&[("external_task_id", external)])
            .header("Authorization", official_auth())
    };
    let (status, found) = send(lookup("run-lookup")).await;
    assert_eq!(status, 200);
    assert_eq!(found["code"], 0);
    let tasks = found["data"].as_array().expect("a list");
    assert_eq!(tasks.len(), 1);
    assert_eq!(str_at(&tasks[0], "/task_id"), id);
    assert_eq!(
        str_at(&tasks[0], "/task_info/external_task_id"),
        "run-lookup"
    );
    let (_, none) = send(lookup("run-missing")).await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(sim.calls(Endpoint::KlingLookup), 2);
    // The single-task route also accepts the external id.
    let (_, one) = official_poll(&sim, "text2video", "run-lookup").await;
    assert_eq!(str_at(&one, "/data/task_id"), id);
}

#[tokio::test]
async fn official_image2video_body_rules() {
    let sim = start(Knobs::default()).await;
    let url = format!("{}/v1/videos/image2video", sim.base_url());
    let post = |body: Value| {
        http()
            .post(&url)
            .header("Authorization", official_auth())
            .json(&body)
    };
    let image = STANDARD.encode(b"\xff\xd8\xff\xe0 fake jpeg");
    let (status, answer) = send(post(json!({
        "image": format!("data:image/jpeg;base64,{image}"), "duration": "5",
    })))
    .await;
    assert_eq!((status, answer["code"].clone()), (400, json!(1201)));
    let (status, answer) = send(post(json!({"image": image, "duration": 5}))).await;
    assert_eq!((status, answer["code"].clone()), (400, json!(1201)));
    let (status, answer) = send(post(json!({"prompt": "no image"}))).await;
    assert_eq!((status, answer["code"].clone()), (400, json!(1201)));
    let (status, created) = send(post(json!({
        "model_name": "kling-v1", "image": image, "duration": "10", "external_task_id": "run-i2v",
    })))
    .await;
    assert_eq!(status, 200, "{created}");
    let id = str_at(&created, "/data/task_id").to_owned();
    let (_, polled) = official_poll(&sim, "image2video", &id).await;
    assert_eq!(str_at(&polled, "/data/task_status"), "succeed");
    assert_eq!(str_at(&polled, "/data/task_result/videos/0/duration"), "10");
    assert_eq!(sim.task_count(), 1);
    assert_eq!(sim.last_create_body().expect("body")["image"], json!(image));
}
