//! Helpers shared by the simulator's tests: an HTTP client, a request sent for
//! its status and JSON body, and the Kling calls (both styles) with their keys.

use genworker::simulator::{Knobs, Simulator, SimulatorConfig};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

pub(super) const KEY: &str = "sim-access-key";
pub(super) const SECRET: &str = "sim-secret-key";
pub(super) const TOKEN: &str = "123456:sim-bot-token";

/// A simulator on a free port with these knobs.
pub(super) async fn start(knobs: Knobs) -> Simulator {
    let mut config = SimulatorConfig::new(KEY, SECRET, TOKEN);
    config.knobs = knobs;
    Simulator::start(config).await.expect("simulator starts")
}

/// An HTTP client that does not follow redirects (the crate's own builder: its
/// TLS provider set up).
pub(super) fn http() -> reqwest::Client {
    genworker::net::client_builder()
        .build()
        .expect("client builds")
}

/// Sends a request and returns the status and JSON body (Null if not JSON).
pub(super) async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request is answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body reads");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A Kling JWT with `exp`/`nbf` relative to now.
pub(super) fn jwt(iss: &str, secret: &str, exp_in: i64, nbf_in: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": iss, "exp": now + exp_in, "nbf": now + nbf_in});
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token encodes")
}

/// A valid official-style bearer header value.
pub(super) fn official_auth() -> String {
    format!("Bearer {}", jwt(KEY, SECRET, 1800, -5))
}

/// The generic-style bearer header value.
pub(super) fn generic_auth() -> String {
    format!("Bearer {KEY}")
}

/// Creates an official text2video task and returns its id.
pub(super) async fn official_create(sim: &Simulator, external: &str) -> (u16, Value) {
    let body = json!({
        "model_name": "kling-v1",
        "prompt": "a cat",
        "duration": "5",
        "external_task_id": external,
    });
    send(
        http()
            .post(format!("{}/v1/videos/text2video", sim.base_url()))
            .header("Authorization", official_auth())
            .json(&body),
    )
    .await
}

/// Polls an official task.
pub(super) async fn official_poll(sim: &Simulator, kind: &str, id: &str) -> (u16, Value) {
    send(
        http()
            .get(format!("{}/v1/videos/{kind}/{id}", sim.base_url()))
            .header("Authorization", official_auth()),
    )
    .await
}

/// Creates a generic task with this prompt.
pub(super) async fn generic_create(sim: &Simulator, prompt: &str) -> (u16, Value) {
    send(
        http()
            .post(format!("{}/v1/video/generations", sim.base_url()))
            .header("Authorization", generic_auth())
            .json(&json!({"prompt": prompt, "model": "kling-v1", "mode": "text2video"})),
    )
    .await
}

/// Polls a generic task.
pub(super) async fn generic_poll(sim: &Simulator, id: &str) -> (u16, Value) {
    send(
        http()
            .get(format!("{}/v1/video/generations/{id}", sim.base_url()))
            .header("Authorization", generic_auth()),
    )
    .await
}

/// The string at a JSON pointer.
pub(super) fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value}"))
}
