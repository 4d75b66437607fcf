//! Kling's generic style against wiremock: the seed's headers and body, a
//! result by URL, at once or as base64, and resuming a saved task; failed tasks
//! and HTTP errors in the submodules.

mod failures;
mod http_errors;

use genworker::provider::{GenerationKind, InputImage};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{RecordingSink, generate_text, generic_provider, job, mp4};

const CREATE: &str = "/v1/video/generations";

fn status_path(id: &str) -> String {
    format!("/v1/video/generations/{id}")
}

async fn mount_video(server: &MockServer, name: &str, bytes: Vec<u8>) -> String {
    Mock::given(method("GET"))
        .and(path(format!("/files/{name}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes, "video/mp4"))
        .mount(server)
        .await;
    format!("{}/files/{name}", server.uri())
}

#[tokio::test]
async fn sends_the_seed_headers_and_body_then_polls_to_a_url_result() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = generic_provider(
        &server.uri(),
        &[
            ("KLING_API_SECRET", "test-secret"),
            ("KLING_ORGANIZATION_ID", "org-7"),
            ("KLING_EXTRA_HEADERS", r#"{"X-Client": "nanobanana"}"#),
        ],
    );
    let mut job = job(
        &dir,
        GenerationKind::ImageToVideo,
        json!({"duration": 12, "mode": "image2video", "input_image_file_id": "f1",
               "kling_options": {"style": "anime"}, "watermark": false}),
    );
    job.image = Some(InputImage {
        bytes: vec![0xFF, 0xD8, 0xFF],
        mime_type: "image/jpeg".into(),
        source_url: None,
    });
    Mock::given(method("POST"))
        .and(path(CREATE))
        .and(header("authorization", "Bearer test-key"))
        .and(header("x-api-key", "test-key"))
        .and(header("x-api-secret", "test-secret"))
        .and(header("x-kling-org", "org-7"))
        .and(header("x-client", "nanobanana"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "prompt": "a red fox in the snow", "model": "kling-v1", "mode": "image2video",
            "duration": 12, "parameters": {"watermark": false, "style": "anime"},
            "reference_image": "/9j/", "reference_image_mime_type": "image/jpeg"
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"task_id": "T-1"}, "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(status_path("T-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Processing"})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    let url = mount_video(&server, "fox.mp4", mp4(4096)).await;
    Mock::given(method("GET"))
        .and(path(status_path("T-1")))
        .and(header("authorization", "Bearer test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "SUCCEEDED", "result": {"thumb": format!("{}/files/t.jpg", server.uri()), "videos": [{"url": url}]}
        })))
        .with_priority(2)
        .mount(&server)
        .await;

    let sink = RecordingSink::default();
    let result = provider.generate(&job, &sink).await.unwrap();
    assert_eq!(sink.ids(), ["T-1"]);
    assert_eq!(result.task_id, "T-1");
    assert_eq!(std::fs::read(&result.file).unwrap(), mp4(4096));
    assert!(result.file.ends_with("videos/result.mp4"));
    assert_eq!(
        (result.size_bytes, result.mime_type.as_str()),
        (4096, "video/mp4")
    );
    assert_eq!(result.metadata["task_id"], "T-1");
    assert_eq!(result.metadata["create_response"]["data"]["task_id"], "T-1");
    assert_eq!(result.metadata["final_response"]["status"], "SUCCEEDED");
}

#[tokio::test]
async fn a_create_response_that_is_already_done_is_used_without_polling() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = mount_video(&server, "now.webm", mp4(100)).await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": 77, "state": "done", "output": url})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(status_path("77")))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let result = generate_text(&server.uri(), &[], &dir).await.unwrap();
    assert_eq!(result.task_id, "77");
    assert!(
        result.file.ends_with("videos/result.mp4"),
        "{:?}: served as video/mp4",
        result.file
    );
}

#[tokio::test]
async fn a_base64_result_is_decoded_into_the_file() {
    use base64::Engine;
    let video = mp4(300_000);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&video);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "B64"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(status_path("B64")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "completed", "data": {"videoBytes": encoded, "url": "https://cdn.example.com/ignored.mp4"}}),
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let result = generate_text(&server.uri(), &[], &dir).await.unwrap();
    assert_eq!(std::fs::read(&result.file).unwrap(), video);
    let stored = result.metadata.to_string();
    assert!(
        stored.len() < 2000,
        "provider_metadata must not hold the video: {} bytes",
        stored.len()
    );
    assert!(stored.contains("<omitted: "), "{stored}");
}

#[tokio::test]
async fn resume_polls_the_saved_task_without_creating_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let url = mount_video(&server, "old.mp4", mp4(10)).await;
    Mock::given(method("GET"))
        .and(path(status_path("OLD-1")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "url": url})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let provider = generic_provider(&server.uri(), &[]);
    let job = job(&dir, GenerationKind::TextToVideo, json!({}));
    assert_eq!(
        provider.find_task(&job).await.unwrap(),
        None,
        "the generic API cannot look tasks up"
    );
    let result = provider.resume(&job, "OLD-1").await.unwrap();
    assert_eq!(result.size_bytes, 10);
}

#[tokio::test]
async fn bad_extra_headers_stop_start_up_naming_the_variable() {
    let env =
        std::collections::HashMap::from([("KLING_EXTRA_HEADERS".to_owned(), "[\"x\"]".to_owned())]);
    let error = genworker::settings::Settings::from_sources(None, env)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("KLING_EXTRA_HEADERS: "), "{error}");
}
