//! Fault injection, truncated and large downloads, the control endpoints and
//! start-up and shutdown, over loopback.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt;
use genworker::simulator::{Endpoint, Fault, Knobs, ResultMode, Simulator, SimulatorConfig};
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn faults_play_in_order_then_normal_behaviour() {
    let sim = start(Knobs::default()).await;
    sim.inject(
        Endpoint::KlingCreate,
        vec![Fault::ServerError, Fault::ServerError],
    );
    let url = format!("{}/v1/video/generations", sim.base_url());
    let create = || {
        http()
            .post(&url)
            .header("Authorization", generic_auth())
            .json(&json!({"prompt": "retry me"}))
    };
    for _ in 0..2 {
        let response = create().send().await.expect("answer");
        assert_eq!(response.status(), 500);
        assert_eq!(response.text().await.expect("body"), "internal error");
    }
    assert_eq!(send(create()).await.0, 200);
    assert_eq!(sim.calls(Endpoint::KlingCreate), 3);
    assert_eq!(sim.task_count(), 1);
    assert_eq!(sim.creates_for("retry me"), 1);
    assert_eq!(sim.calls(Endpoint::KlingStatus), 0);
}

#[tokio::test]
async fn rate_limit_malformed_reject_and_delay_faults() {
    let sim = start(Knobs::default()).await;
    sim.inject(
        Endpoint::KlingCreate,
        vec![
            Fault::RateLimited {
                retry_after_secs: 7,
            },
            Fault::MalformedJson,
            Fault::Reject {
                code: 400,
                body: r#"{"code":1201,"message":"bad prompt"}"#.into(),
            },
            Fault::RateLimited {
                retry_after_secs: 2,
            },
            Fault::Delay { ms: 200 },
        ],
    );
    // Official style: 429 with Retry-After and code 1302.
    let response = http()
        .post(format!("{}/v1/videos/text2video", sim.base_url()))
        .json(&json!({}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], 1302);

    let response = http()
        .post(format!("{}/v1/video/generations", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.expect("body");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    let (status, body) = official_create(&sim, "run-fault").await;
    assert_eq!((status, body["code"].clone()), (400, json!(1201)));

    // Generic style: 429 with Retry-After.
    let response = http()
        .post(format!("{}/v1/video/generations", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");

    let started = Instant::now();
    let (status, _) = official_create(&sim, "run-delayed").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(sim.calls(Endpoint::KlingCreate), 5);
    assert_eq!(sim.task_count(), 1);
}

#[tokio::test]
async fn truncated_download_ends_early() {
    let size = 1024 * 1024;
    let knobs = Knobs {
        truncate_download: true,
        video_bytes: size,
        video_content_type: Some("video/quicktime".into()),
        ..Knobs::default()
    };
    let sim = start(knobs).await;
    let (_, created) = generic_create(&sim, "cut").await;
    let id = str_at(&created, "/task_id").to_owned();
    let (_, polled) = generic_poll(&sim, &id).await;
    let response = http()
        .get(str_at(&polled, "/result/video_url"))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(size));
    assert_eq!(response.headers()["content-type"], "video/quicktime");
    let mut stream = response.bytes_stream();
    let mut received = 0u64;
    let mut failed = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => received += bytes.len() as u64,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the client must see an incomplete body");
    assert!(received <= size / 2, "received {received}");
}

#[tokio::test]
async fn a_64_mib_video_streams_in_chunks() {
    let size = 64 * 1024 * 1024;
    let sim = start(Knobs {
        video_bytes: size,
        ..Knobs::default()
    })
    .await;
    let (_, created) = generic_create(&sim, "big").await;
    let id = str_at(&created, "/task_id").to_owned();
    let (_, polled) = generic_poll(&sim, &id).await;
    let response = http()
        .get(str_at(&polled, "/result/video_url"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.content_length(), Some(size));
    let mut stream = response.bytes_stream();
    let (mut received, mut chunks, mut first) = (0u64, 0u64, Vec::new());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        if first.is_empty() {
            first = chunk[..8].to_vec();
        }
        received += chunk.len() as u64;
        chunks += 1;
    }
    assert_eq!(received, size);
    assert_eq!(&first[4..8], b"ftyp");
    assert!(chunks > 100, "only {chunks} chunks: not streamed");
}

#[tokio::test]
async fn a_base64_result_streams_with_its_length() {
    let size = 3 * 1024 * 1024 + 1;
    let sim = start(Knobs {
        video_bytes: size,
        result: ResultMode::Base64,
        ..Knobs::default()
    })
    .await;
    let (_, created) = generic_create(&sim, "big base64").await;
    let id = str_at(&created, "/task_id").to_owned();
    let response = http()
        .get(format!("{}/v1/video/generations/{id}", sim.base_url()))
        .header("Authorization", generic_auth())
        .send()
        .await
        .expect("answer");
    let declared = response.content_length().expect("a length");
    let mut stream = response.bytes_stream();
    let (mut body, mut chunks) = (Vec::new(), 0);
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.expect("chunk"));
        chunks += 1;
    }
    assert_eq!(body.len() as u64, declared);
    assert!(chunks > 10, "only {chunks} chunks: not streamed");
    let value: Value = serde_json::from_slice(&body).expect("valid json");
    let video = STANDARD
        .decode(str_at(&value, "/video_base64"))
        .expect("b64");
    assert_eq!(video.len() as u64, size);
}

#[tokio::test]
async fn control_endpoints_over_http() {
    let sim = start(Knobs::default()).await;
    let base = sim.base_url();
    let knobs = json!({"finish_after_ms": 1000, "result": "Base64", "outcome": {"Reject": {"message": "nope"}}});
    let (status, _) = send(http().put(format!("{base}/_sim/knobs")).json(&knobs)).await;
    assert_eq!(status, 200);
    assert_eq!(sim.knobs().finish_after_ms, 1000);
    assert_eq!(sim.knobs().result, ResultMode::Base64);
    assert_eq!(sim.knobs().video_bytes, 64 * 1024);

    let inject = json!({"endpoint": "KlingStatus", "faults": ["ServerError", {"RateLimited": {"retry_after_secs": 1}}]});
    let (status, _) = send(http().post(format!("{base}/_sim/inject")).json(&inject)).await;
    assert_eq!(status, 200);
    assert_eq!(generic_poll(&sim, "x").await.0, 500);
    assert_eq!(generic_poll(&sim, "x").await.0, 429);
    assert_eq!(generic_poll(&sim, "x").await.0, 404);

    let file = json!({"file_id": "f1", "file_path": "photos/a.png", "bytes_base64": STANDARD.encode(b"png!")});
    let (status, _) = send(
        http()
            .post(format!("{base}/_sim/telegram-files"))
            .json(&file),
    )
    .await;
    assert_eq!(status, 200);
    let download = http().get(format!("{base}/file/bot{TOKEN}/photos/a.png"));
    let bytes = download.send().await.expect("answer").bytes().await;
    assert_eq!(&bytes.expect("body")[..], b"png!");

    let (status, stats) = send(http().get(format!("{base}/_sim/stats"))).await;
    assert_eq!(status, 200);
    assert_eq!(stats["calls"]["KlingStatus"], 3);
    assert_eq!(stats["calls"]["TelegramFile"], 1);
    assert_eq!(stats["task_count"], 0);
    assert_eq!(stats["telegram_messages"], 0);
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let sim = start(Knobs::default()).await;
    let base = sim.base_url();
    assert_eq!(send(http().get(format!("{base}/_sim/stats"))).await.0, 200);
    sim.shutdown().await;
    let fresh = http();
    assert!(
        fresh
            .get(format!("{base}/_sim/stats"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn start_listens_on_the_configured_port() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let mut config = SimulatorConfig::new(KEY, SECRET, TOKEN);
    config.port = port;
    let sim = Simulator::start(config).await.expect("starts");
    assert_eq!(sim.addr().port(), port);
    assert_eq!(sim.base_url(), format!("http://127.0.0.1:{port}"));
    let url = format!("http://127.0.0.1:{port}/_sim/stats");
    assert_eq!(send(http().get(&url)).await.0, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn debug_output_hides_keys() {
    let config = SimulatorConfig::new(KEY, SECRET, TOKEN);
    let sim = Simulator::start(config.clone()).await.expect("starts");
    for text in [format!("{config:?}"), format!("{sim:?}")] {
        for secret in [KEY, SECRET, TOKEN] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
