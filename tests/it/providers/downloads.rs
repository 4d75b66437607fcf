//! Downloads: size cap, redirects, types, and a file only when complete.

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{fatal, generate_text, generic_error, mp4};

async fn api_naming(api: &MockServer, video_path: &str) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "D1"})))
        .mount(api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/video/generations/D1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "success", "video_url": format!("{}{video_path}", api.uri())}),
        ))
        .mount(api)
        .await;
}

#[tokio::test]
async fn a_video_over_the_cap_is_refused_and_leaves_no_file() {
    let api = MockServer::start().await;
    api_naming(&api, "/big.mp4").await;
    Mock::given(method("GET"))
        .and(path("/big.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4(1024 * 1024 + 1), "video/mp4"))
        .mount(&api)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = generate_text(&api.uri(), &[("KLING_MAX_VIDEO_MB", "1")], &dir)
        .await
        .unwrap_err();
    assert_eq!(
        fatal(error),
        "Видео Kling больше допустимого размера (1 МБ)."
    );
    let files = std::fs::read_dir(dir.path().join("videos"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "no partial file is left behind");
}

#[tokio::test]
async fn more_than_five_redirects_are_refused() {
    let api = MockServer::start().await;
    api_naming(&api, "/hop/0.mp4").await;
    for hop in 0..10 {
        Mock::given(method("GET"))
            .and(path(format!("/hop/{hop}.mp4")))
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("location", format!("/hop/{}.mp4", hop + 1)),
            )
            .mount(&api)
            .await;
    }
    let error = generic_error(&api.uri(), &[]).await;
    assert!(fatal(error).contains("more than 5 redirects"));
    let hops = api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/hop/"))
        .count();
    assert_eq!(hops, 6);
}

#[tokio::test]
async fn redirects_to_other_schemes_are_refused() {
    let api = MockServer::start().await;
    api_naming(&api, "/v.mp4").await;
    Mock::given(method("GET"))
        .and(path("/v.mp4"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "file:///etc/passwd"))
        .mount(&api)
        .await;
    let error = generic_error(&api.uri(), &[]).await;
    assert!(fatal(error).contains("a `file` URL"));
}

#[tokio::test]
async fn the_type_comes_from_content_type_else_the_extension() {
    let api = MockServer::start().await;
    api_naming(&api, "/clip.webm").await;
    Mock::given(method("GET"))
        .and(path_regex("^/clip"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(vec![1u8; 10], "application/octet-stream"),
        )
        .mount(&api)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let result = generate_text(&api.uri(), &[], &dir).await.unwrap();
    assert_eq!(result.mime_type, "video/webm");
    assert!(result.file.ends_with("videos/result.webm"));
}

#[tokio::test]
async fn a_missing_video_file_is_a_fatal_download_error() {
    let api = MockServer::start().await;
    api_naming(&api, "/gone.mp4").await;
    let error = generic_error(&api.uri(), &[]).await;
    assert!(fatal(error).starts_with("Не удалось скачать видео Kling: HTTP 404"));
}

#[tokio::test]
async fn a_truncated_download_is_retryable_and_leaves_no_file() {
    use genworker::provider::ProviderError;
    use genworker::simulator::{Knobs, Simulator, SimulatorConfig};
    let sim = Simulator::start(SimulatorConfig::new("test-key", "s", "1:t"))
        .await
        .unwrap();
    sim.set_knobs(Knobs {
        truncate_download: true,
        video_bytes: 300_000,
        ..Knobs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let error = generate_text(&sim.base_url(), &[], &dir).await.unwrap_err();
    assert!(
        matches!(&error, ProviderError::Retryable { .. }),
        "{error:?}"
    );
    // Depending on when the reset arrives, the client sees a short body or a failed read.
    assert!(
        error
            .to_string()
            .starts_with("Не удалось скачать видео Kling: "),
        "{error}"
    );
    let files = std::fs::read_dir(dir.path().join("videos"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0);
}
