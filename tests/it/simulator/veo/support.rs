//! Helpers of the Veo tests: a simulator, JWT assertions signed with its
//! service account's key, tokens, and the Vertex and Gemini calls.

use genworker::simulator::{
    Knobs, SIM_GEMINI_API_KEY, SIM_VERTEX_PROJECT, Simulator, SimulatorConfig,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::{Value, json};

pub(super) use crate::simulator::support::{http, send};

pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
pub const MODEL: &str = "veo-3.1-fast-generate-preview";
pub const LOCATION: &str = "us-central1";

pub async fn start(knobs: Knobs) -> Simulator {
    let mut config = SimulatorConfig::new("veo-kling-key", "veo-kling-secret", "1:veo-bot");
    config.knobs = knobs;
    Simulator::start(config).await.unwrap()
}

/// The service-account key JSON, parsed.
pub fn account(sim: &Simulator) -> Value {
    serde_json::from_str(&sim.service_account_json()).unwrap()
}

/// The standard claims of a token request at `now`.
pub fn claims(sim: &Simulator) -> Value {
    let account = account(sim);
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": account["client_email"],
        "scope": SCOPE,
        "aud": account["token_uri"],
        "iat": now,
        "exp": now + 3600,
    })
}

/// `claims` signed RS256 with the service account's private key.
pub fn sign(sim: &Simulator, claims: &Value) -> String {
    let account = account(sim);
    let pem = account["private_key"].as_str().unwrap();
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "PKCS#8 PEM"
    );
    let der = RsaPrivateKey::from_pkcs8_pem(pem)
        .unwrap()
        .to_pkcs1_der()
        .unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = account["private_key_id"].as_str().map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(der.as_bytes())).unwrap()
}

/// `POST /token` with this assertion: the status and JSON body.
pub async fn request_token(sim: &Simulator, assertion: &str) -> (u16, Value) {
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    send(
        http()
            .post(format!("{}/token", sim.base_url()))
            .form(&[("grant_type", grant), ("assertion", assertion)]),
    )
    .await
}

/// A fresh access token.
pub async fn token(sim: &Simulator) -> String {
    let (status, body) = request_token(sim, &sign(sim, &claims(sim))).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// `…/v1/projects/sim-project/locations/us-central1/publishers/google/models/{model}:{action}`.
pub fn vertex_url(sim: &Simulator, model: &str, action: &str) -> String {
    format!(
        "{}/v1/projects/{SIM_VERTEX_PROJECT}/locations/{LOCATION}/publishers/google/models/{model}:{action}",
        sim.base_url()
    )
}

/// The text2video body the bot sends for veo3-fast.
pub fn vertex_body() -> Value {
    json!({
        "instances": [{"prompt": "What if the moon were made of glass?"}],
        "parameters": {"durationSeconds": 8, "resolution": "720p", "aspectRatio": "9:16",
                       "sampleCount": 1, "generateAudio": true},
    })
}

/// A Vertex submit with a Bearer token.
pub async fn vertex_submit(sim: &Simulator, token: &str, body: &Value) -> (u16, Value) {
    send(
        http()
            .post(vertex_url(sim, MODEL, "predictLongRunning"))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

/// A Vertex `fetchPredictOperation` of `name`.
pub async fn vertex_poll(sim: &Simulator, token: &str, name: &str) -> (u16, Value) {
    send(
        http()
            .post(vertex_url(sim, MODEL, "fetchPredictOperation"))
            .bearer_auth(token)
            .json(&json!({"operationName": name})),
    )
    .await
}

/// The Gemini-style text2video body (no `generateAudio`, no `seed`).
pub fn gemini_body() -> Value {
    json!({
        "instances": [{"prompt": "What if the moon were made of glass?"}],
        "parameters": {"aspectRatio": "9:16", "resolution": "720p", "durationSeconds": 8},
    })
}

/// A Gemini submit with the simulator's key.
pub async fn gemini_submit(sim: &Simulator, body: &Value) -> (u16, Value) {
    send(
        http()
            .post(format!(
                "{}/v1beta/models/{MODEL}:predictLongRunning",
                sim.base_url()
            ))
            .header("x-goog-api-key", SIM_GEMINI_API_KEY)
            .json(body),
    )
    .await
}

/// A Gemini poll: `GET /v1beta/{name}` with the key.
pub async fn gemini_poll(sim: &Simulator, name: &str) -> (u16, Value) {
    send(
        http()
            .get(format!("{}/v1beta/{name}", sim.base_url()))
            .header("x-goog-api-key", SIM_GEMINI_API_KEY),
    )
    .await
}

/// Google's error envelope: its `status` and `message`.
pub fn google_error(body: &Value) -> (&str, &str) {
    (
        body["error"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("no status in {body}")),
        body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {body}")),
    )
}
