//! Credentials go only to the API's own origin, and private addresses are not
//! fetched unless allowed: the five cases the seed's "same headers" rule leaked in.

use std::net::TcpListener;

use genworker::provider::{GenerationKind, ProviderError};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{RecordingSink, generic_provider, job, mp4};

const SECRET_HEADERS: [&str; 3] = ["authorization", "x-api-key", "x-api-secret"];

fn leaked(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .flat_map(|request| {
            SECRET_HEADERS
                .iter()
                .filter(|name| request.headers.contains_key(**name))
                .map(move |name| format!("{name} reached {}", request.url))
        })
        .collect()
}

/// An API server answering create and a success status naming `video_url`.
async fn api_naming(api: &MockServer, video_url: &str) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "S1"})))
        .mount(api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/video/generations/S1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "success", "video_url": video_url})),
        )
        .mount(api)
        .await;
}

async fn serve_video(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4(64), "video/mp4"))
        .mount(server)
        .await;
}

async fn run(api: &MockServer, extra: &[(&str, &str)]) -> Result<u64, ProviderError> {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vec![("KLING_API_SECRET", "s3cret")];
    vars.extend_from_slice(extra);
    generic_provider(&api.uri(), &vars)
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .map(|result| result.size_bytes)
}

#[tokio::test]
async fn a_result_on_another_origin_gets_no_credentials() {
    let (api, other) = (MockServer::start().await, MockServer::start().await);
    serve_video(&other).await;
    api_naming(&api, &format!("{}/v.mp4", other.uri())).await;
    assert_eq!(run(&api, &[]).await.unwrap(), 64);
    let requests = other.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(leaked(&requests).is_empty(), "{:?}", leaked(&requests));
    assert!(
        leaked(&api.received_requests().await.unwrap()).len() >= 2,
        "the API itself gets them"
    );
}

/// The API at 127.0.0.1:P and the video at 127.0.0.1:P·10+5: a string-prefix test
/// of "http://127.0.0.1:P" would wrongly call that the same origin.
#[tokio::test]
async fn a_url_that_merely_starts_with_the_api_base_gets_no_credentials() {
    let (api_listener, other_listener) = loop {
        let port: u16 = rand::random_range(1100..6500);
        if let (Ok(a), Ok(b)) = (
            TcpListener::bind(("127.0.0.1", port)),
            TcpListener::bind(("127.0.0.1", port * 10 + 5)),
        ) {
            break (a, b);
        }
    };
    let api = MockServer::builder().listener(api_listener).start().await;
    let other = MockServer::builder().listener(other_listener).start().await;
    assert!(
        other.uri().starts_with(&api.uri()),
        "{} / {}",
        other.uri(),
        api.uri()
    );
    serve_video(&other).await;
    api_naming(&api, &format!("{}/v.mp4", other.uri())).await;
    assert_eq!(run(&api, &[]).await.unwrap(), 64);
    let requests = other.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(leaked(&requests).is_empty(), "{:?}", leaked(&requests));
}

#[tokio::test]
async fn a_url_with_userinfo_is_refused() {
    let (api, other) = (MockServer::start().await, MockServer::start().await);
    serve_video(&other).await;
    let with_userinfo = other.uri().replace("http://", "http://user:pass@");
    api_naming(&api, &format!("{with_userinfo}/v.mp4")).await;
    let error = run(&api, &[]).await.unwrap_err();
    assert!(
        matches!(&error, ProviderError::Fatal(m) if m.ru.contains("user credentials")),
        "{error:?}"
    );
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_same_origin_redirect_to_another_origin_drops_credentials() {
    let (api, other) = (MockServer::start().await, MockServer::start().await);
    serve_video(&other).await;
    Mock::given(method("GET"))
        .and(path("/redirect.mp4"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/v.mp4", other.uri())),
        )
        .mount(&api)
        .await;
    api_naming(&api, &format!("{}/redirect.mp4", api.uri())).await;
    assert_eq!(run(&api, &[]).await.unwrap(), 64);
    let requests = other.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "the redirect was followed");
    assert!(leaked(&requests).is_empty(), "{:?}", leaked(&requests));
}

#[tokio::test]
async fn private_and_loopback_addresses_are_refused_unless_allowed() {
    let (api, other) = (MockServer::start().await, MockServer::start().await);
    serve_video(&other).await;
    let loopback_url = format!("{}/v.mp4", other.uri());
    api_naming(&api, &loopback_url).await;
    let error = run(&api, &[("KLING_ALLOW_PRIVATE_URLS", "false")])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::Fatal(m) if m.ru.contains("private address 127.0.0.1")),
        "{error:?}"
    );
    assert!(other.received_requests().await.unwrap().is_empty());

    // A name that resolves to loopback is refused by the resolver, too.
    let (api, other) = (MockServer::start().await, MockServer::start().await);
    serve_video(&other).await;
    api_naming(
        &api,
        &format!("{}/v.mp4", other.uri().replace("127.0.0.1", "localhost")),
    )
    .await;
    let error = run(&api, &[("KLING_ALLOW_PRIVATE_URLS", "false")])
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("Не удалось скачать видео Kling"),
        "{error:?}"
    );
    assert!(other.received_requests().await.unwrap().is_empty());
}
