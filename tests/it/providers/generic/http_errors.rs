//! Kling's generic style on HTTP errors, rate limits, timeouts and refused
//! connections: what each error carries and whether a retry can help.

use genworker::provider::{GenerationKind, ProviderError};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{mount_video, status_path};
use crate::providers::{
    RecordingSink, generate_text, generic_error, generic_provider, job, mp4, unauthorized,
};

#[tokio::test]
async fn http_errors_carry_status_and_body_and_are_classified() {
    let server = MockServer::start().await;
    let long_body = "x".repeat(1500);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(long_body))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let provider = generic_provider(&server.uri(), &[]);
    let message = unauthorized(
        provider
            .generate(
                &job(&dir, GenerationKind::TextToVideo, json!({})),
                &RecordingSink::default(),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        format!(
            "Kling API error: 401 Unauthorized. Details: {}",
            "x".repeat(1000)
        )
    );

    // 5xx on create: retryable, and not repeated here (Kling may have created the task).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(1)
        .mount(&server)
        .await;
    let error = generate_text(&server.uri(), &[], &dir).await.unwrap_err();
    assert!(
        matches!(
            &error,
            ProviderError::Retryable {
                rate_limited: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("Kling API error: 502 Bad Gateway. Details: bad gateway")
    );
}

#[tokio::test]
async fn rate_limits_honour_retry_after_and_poll_errors_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_string("slow down"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "R1"})))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(status_path("R1")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    let url = mount_video(&server, "r1.mp4", mp4(64)).await;
    Mock::given(method("GET"))
        .and(path(status_path("R1")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "finished", "video": url})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let result = generate_text(&server.uri(), &[], &dir).await.unwrap();
    assert_eq!(result.task_id, "R1");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    let creates = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(creates, 2);
}

#[tokio::test]
async fn a_persistent_429_ends_as_a_rate_limited_retryable_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .expect(3)
        .mount(&server)
        .await;
    let error = generic_error(&server.uri(), &[]).await;
    assert!(
        matches!(
            error,
            ProviderError::Retryable {
                rate_limited: true,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retryable() {
    use genworker::simulator::{Endpoint, Fault, Simulator, SimulatorConfig};
    let sim = Simulator::start(SimulatorConfig::new("test-key", "s", "1:t"))
        .await
        .unwrap();
    sim.inject(Endpoint::KlingStatus, vec![Fault::Delay { ms: 1500 }]);
    let dir = tempfile::tempdir().unwrap();
    let provider = generic_provider(&sim.base_url(), &[("KLING_REQUEST_TIMEOUT", "0.5")]);
    let result = provider
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .unwrap();
    assert!(
        sim.calls(Endpoint::KlingStatus) >= 2,
        "the timed-out poll was retried"
    );
    assert!(result.size_bytes > 0);

    let error = generate_text("http://127.0.0.1:9", &[], &dir)
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("Kling API error: connection failed."),
        "{error}"
    );
}
