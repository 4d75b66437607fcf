//! Faults injected on the Google endpoints: each is served once, in order,
//! then the endpoint behaves normally again; the knobs are settable over HTTP.

use std::time::{Duration, Instant};

use genworker::simulator::{
    DEFAULT_VEO_MODELS, Endpoint, Fault, GeminiRedirect, Knobs, ResultMode,
};
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn a_fault_on_the_token_endpoint_is_served_once() {
    let sim = start(Knobs::default()).await;
    sim.inject(Endpoint::GoogleToken, vec![Fault::ServerError]);
    let assertion = sign(&sim, &claims(&sim));
    let response = http()
        .post(format!("{}/token", sim.base_url()))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.text().await.unwrap(), "internal error");
    let (status, body) = request_token(&sim, &assertion).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.calls(Endpoint::GoogleToken), 2);
}

#[tokio::test]
async fn faults_on_submit_and_poll_are_served_once_each_in_order() {
    let sim = start(Knobs::default()).await;
    let token = token(&sim).await;
    sim.inject(
        Endpoint::VeoSubmit,
        vec![
            Fault::RateLimited {
                retry_after_secs: 9,
            },
            Fault::Reject {
                code: 503,
                body: r#"{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}"#.into(),
            },
        ],
    );
    let response = http()
        .post(vertex_url(&sim, MODEL, "predictLongRunning"))
        .bearer_auth(&token)
        .json(&vertex_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "9");
    let body: Value = response.json().await.unwrap();
    assert_eq!(google_error(&body).0, "RESOURCE_EXHAUSTED");
    // The Gemini style shares the endpoint, and its queue.
    let (status, body) = gemini_submit(&sim, &gemini_body()).await;
    assert_eq!((status, google_error(&body).0), (503, "UNAVAILABLE"));
    assert_eq!(sim.operations_count(), 0, "faulted submits start nothing");
    let (status, submitted) = vertex_submit(&sim, &token, &vertex_body()).await;
    assert_eq!(status, 200, "{submitted}");
    let name = submitted["name"].as_str().unwrap().to_owned();

    sim.inject(
        Endpoint::VeoPoll,
        vec![Fault::MalformedJson, Fault::Delay { ms: 300 }],
    );
    let response = http()
        .post(vertex_url(&sim, MODEL, "fetchPredictOperation"))
        .bearer_auth(&token)
        .json(&json!({"operationName": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let started = Instant::now();
    let (status, done) = vertex_poll(&sim, &token, &name).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "delayed");
    assert_eq!(
        (status, &done["done"]),
        (200, &json!(true)),
        "then normal: {done}"
    );
    let (status, again) = vertex_poll(&sim, &token, &name).await;
    assert_eq!((status, again), (200, done));
    assert_eq!(sim.calls(Endpoint::VeoSubmit), 3);
    assert_eq!(sim.calls(Endpoint::VeoPoll), 3);
}

#[tokio::test]
async fn faults_on_downloads_and_blobs_then_the_video() {
    let sim = start(Knobs::default()).await;
    let (_, submitted) = gemini_submit(&sim, &gemini_body()).await;
    let (_, done) = gemini_poll(&sim, submitted["name"].as_str().unwrap()).await;
    let uri = done["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.inject(Endpoint::VeoDownload, vec![Fault::ServerError]);
    sim.inject(
        Endpoint::VeoBlob,
        vec![Fault::RateLimited {
            retry_after_secs: 1,
        }],
    );
    let download = || {
        http()
            .get(&uri)
            .header("x-goog-api-key", genworker::simulator::SIM_GEMINI_API_KEY)
    };
    assert_eq!(download().send().await.unwrap().status(), 500);
    let redirect = download().send().await.unwrap();
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    let blob = http().get(&location).send().await.unwrap();
    assert_eq!(blob.status(), 429);
    assert_eq!(blob.headers()["retry-after"], "1");
    let blob = http().get(&location).send().await.unwrap();
    assert_eq!(blob.status(), 200);
    assert_eq!(
        blob.bytes().await.unwrap().len() as u64,
        Knobs::default().video_bytes
    );
}

#[tokio::test]
async fn the_veo_knobs_are_settable_over_http_with_defaults_for_the_rest() {
    let sim = start(Knobs::default()).await;
    let url = format!("{}/_sim/knobs", sim.base_url());
    let (status, _) = send(http().put(&url).json(&json!({
        "gemini_redirect": "OtherOrigin",
        "token_lifetime_secs": 5,
        "outcome": {"Filtered": {"reason": "blocked"}},
        "result": "Base64",
    })))
    .await;
    assert_eq!(status, 200);
    let knobs = sim.knobs();
    assert_eq!(knobs.gemini_redirect, GeminiRedirect::OtherOrigin);
    assert_eq!(knobs.token_lifetime_secs, 5);
    assert_eq!(knobs.result, ResultMode::Base64);
    assert_eq!(
        knobs.veo_models,
        DEFAULT_VEO_MODELS.map(str::to_owned).to_vec()
    );
    let (_, read) = send(http().get(&url)).await;
    assert_eq!(
        read["veo_models"].as_array().map(Vec::len),
        Some(7),
        "{read}"
    );
    let (_, body) = request_token(&sim, &sign(&sim, &claims(&sim))).await;
    assert_eq!(body["expires_in"], 5);

    let (status, _) = send(http().put(&url).json(&json!({"veo_models": ["veo-9"]}))).await;
    assert_eq!(status, 200);
    let (status, body) = gemini_submit(&sim, &gemini_body()).await;
    assert_eq!(
        (status, google_error(&body).0),
        (404, "NOT_FOUND"),
        "{MODEL} no longer known"
    );
    let stats: Value = http()
        .get(format!("{}/_sim/stats", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["calls"]["VeoSubmit"], 1, "{stats}");
    assert_eq!(stats["calls"]["GoogleToken"], 1, "{stats}");
    assert_eq!(stats["operation_count"], 0, "{stats}");
}
