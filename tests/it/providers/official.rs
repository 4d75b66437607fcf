//! Kling's official style against the simulator (JWT, envelopes, statuses,
//! lookup by external_task_id) and wiremock (code classification).

use genworker::provider::kling::KlingProvider;
use genworker::provider::{GenerationKind, InputImage, ProviderError};
use genworker::simulator::{Endpoint, Fault, Knobs, Outcome, Simulator, SimulatorConfig};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{Provider, RecordingSink, fatal, job, settings, task_failed, unauthorized};

async fn simulator() -> Simulator {
    Simulator::start(SimulatorConfig::new(
        "access-key",
        "secret-key",
        "123:bot-token",
    ))
    .await
    .unwrap()
}

fn official(base: &str, secret: &str) -> Provider {
    let vars = [
        ("KLING_API_STYLE", "official"),
        ("KLING_API_KEY", "access-key"),
        ("KLING_API_SECRET", secret),
        ("KLING_API_BASE_URL", base),
        ("KLING_POLL_INTERVAL", "0.02"),
        ("KLING_POLL_TIMEOUT", "5"),
        ("KLING_ALLOW_PRIVATE_URLS", "true"),
    ];
    Provider::kling(&settings(&vars))
}

#[tokio::test]
async fn image2video_end_to_end_with_a_jwt_and_the_official_body() {
    let sim = simulator().await;
    sim.set_knobs(Knobs {
        finish_after_ms: 60,
        video_bytes: 50_000,
        ..Knobs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut job = job(
        &dir,
        GenerationKind::ImageToVideo,
        json!({"duration": 10, "aspect_ratio": "9:16", "mode": "image2video"}),
    );
    job.image = Some(InputImage {
        bytes: vec![0x89, b'P', b'N', b'G'],
        mime_type: "image/png".into(),
        source_url: None,
    });
    let sink = RecordingSink::default();
    let result = official(&sim.base_url(), "secret-key")
        .generate(&job, &sink)
        .await
        .unwrap();
    assert_eq!(result.size_bytes, 50_000);
    assert_eq!(sink.ids(), vec![result.task_id.clone()]);
    assert_eq!(sim.creates_for(&job.task_key), 1);
    let body = sim.last_create_body().unwrap();
    assert_eq!(body["model_name"], "kling-v1");
    assert_eq!(body["duration"], "10", "duration is sent as a string");
    assert_eq!(body["external_task_id"], json!(job.task_key));
    assert_eq!(
        body["image"], "iVBORw==",
        "raw base64 without a data: prefix"
    );
    assert!(
        sim.calls(Endpoint::KlingStatus) >= 2,
        "polled until succeed"
    );
    assert_eq!(result.metadata["api_style"], "official");
}

#[tokio::test]
async fn a_token_signed_with_the_wrong_secret_is_the_operators_auth_error() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let error = official(&sim.base_url(), "not-the-secret")
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .unwrap_err();
    assert!(unauthorized(error).starts_with("Kling API error: 401 Unauthorized."));
    assert_eq!(sim.task_count(), 0);
}

#[tokio::test]
async fn a_failed_task_reports_task_status_msg() {
    let sim = simulator().await;
    sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "Failure to pass the risk control system".into(),
        },
        ..Knobs::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let sink = RecordingSink::default();
    let error = official(&sim.base_url(), "secret-key")
        .generate(&job(&dir, GenerationKind::TextToVideo, json!({})), &sink)
        .await
        .unwrap_err();
    let id = sink.ids().pop().unwrap();
    assert_eq!(
        task_failed(error),
        format!("Kling отклонил задачу {id}: Failure to pass the risk control system")
    );
}

#[tokio::test]
async fn a_lost_task_id_is_found_again_by_external_task_id_and_resumed() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = official(&sim.base_url(), "secret-key");
    let job = job(&dir, GenerationKind::TextToVideo, json!({"duration": 5}));
    assert_eq!(provider.find_task(&job).await.unwrap(), None);
    let first = provider
        .generate(&job, &RecordingSink::default())
        .await
        .unwrap();
    // A later attempt that never saw the id finds the same task, and resumes it.
    let found = provider.find_task(&job).await.unwrap();
    assert_eq!(found.as_deref(), Some(first.task_id.as_str()));
    let resumed = provider.resume(&job, &first.task_id).await.unwrap();
    assert_eq!(resumed.task_id, first.task_id);
    assert_eq!(
        sim.creates_for(&job.task_key),
        1,
        "never a second paid task"
    );
}

#[tokio::test]
async fn rate_limit_codes_are_retried_and_server_codes_are_retryable() {
    let sim = simulator().await;
    sim.inject(
        Endpoint::KlingCreate,
        vec![Fault::RateLimited {
            retry_after_secs: 0,
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let provider = official(&sim.base_url(), "secret-key");
    provider
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .unwrap();
    assert_eq!(sim.calls(Endpoint::KlingCreate), 2);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"code": 5001, "message": "server busy", "request_id": "r"})),
        )
        .mount(&server)
        .await;
    let error = official(&server.uri(), "secret-key")
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ProviderError::Retryable {
                rate_limited: false,
                ..
            }
        ),
        "{error:?}"
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"code": 1201, "message": "invalid duration", "request_id": "r"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = official(&server.uri(), "secret-key")
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .unwrap_err();
    assert!(fatal(error).contains("invalid duration"));

    // code != 0 on HTTP 200 is an error too.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 1102, "message": "account arrears", "data": null})),
        )
        .mount(&server)
        .await;
    let error = official(&server.uri(), "secret-key")
        .generate(
            &job(&dir, GenerationKind::TextToVideo, json!({})),
            &RecordingSink::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        unauthorized(error),
        "Kling API error: code 1102. Details: account arrears"
    );
}

#[tokio::test]
async fn the_official_style_needs_the_secret() {
    let vars = [("KLING_API_STYLE", "official"), ("KLING_API_KEY", "k")];
    let error = KlingProvider::from_settings(&settings(&vars).kling, Default::default(), None)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("KLING_API_SECRET"), "{error}");
    let error = KlingProvider::from_settings(&settings(&[]).kling, Default::default(), None)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("KLING_API_KEY"), "{error}");
}
