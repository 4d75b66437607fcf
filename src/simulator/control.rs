//! Control of a running simulator: the operations behind [`super::Simulator`]'s
//! methods, and the same over HTTP under `/_sim/` for separate processes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::endpoint::Endpoint;
use super::faults::json_response;
use super::knobs::{Fault, Knobs};
use super::state::{Shared, TaskStyle};
use super::telegram_state::{TelegramFile, TelegramMessage};

impl Shared {
    /// Replaces the knobs.
    pub fn set_knobs(&self, knobs: Knobs) {
        tracing::info!(?knobs, "simulator knobs changed");
        self.lock().knobs = knobs;
    }

    /// The current knobs.
    pub fn knobs(&self) -> Knobs {
        self.lock().knobs.clone()
    }

    /// Queues faults for the next calls of an endpoint.
    pub fn inject(&self, endpoint: Endpoint, faults: Vec<Fault>) {
        tracing::info!(
            endpoint = endpoint.name(),
            count = faults.len(),
            "faults queued"
        );
        self.lock()
            .faults
            .entry(endpoint)
            .or_default()
            .extend(faults);
    }

    /// Calls received by an endpoint.
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        self.lock().calls.get(&endpoint).copied().unwrap_or(0)
    }

    /// Creates received for a key (external_task_id or generic prompt).
    pub fn creates_for(&self, key: &str) -> u64 {
        self.lock().creates.get(key).copied().unwrap_or(0)
    }

    /// Tasks created in total.
    pub fn task_count(&self) -> u64 {
        self.lock().tasks.len() as u64
    }

    /// Tasks created through the useapi.net routes.
    pub fn useapi_task_count(&self) -> u64 {
        let inner = self.lock();
        let useapi = inner
            .tasks
            .values()
            .filter(|t| matches!(t.style, TaskStyle::Useapi { .. }));
        useapi.count() as u64
    }

    /// useapi.net uploads, in order: content type and size.
    pub fn useapi_assets(&self) -> Vec<(String, usize)> {
        let inner = self.lock();
        let assets = inner.useapi.assets.iter();
        assets
            .map(|a| (a.content_type.clone(), a.bytes.len()))
            .collect()
    }

    /// Emails useapi.net calls carried, in order.
    pub fn useapi_emails(&self) -> Vec<String> {
        self.lock().useapi.emails.clone()
    }

    /// The JSON body of the last call to an endpoint that reads one.
    pub fn last_body(&self, endpoint: Endpoint) -> Option<Value> {
        self.lock().last_bodies.get(&endpoint).cloned()
    }

    /// Veo operations created in total (both styles).
    pub fn operations_count(&self) -> u64 {
        self.lock().veo.operations.len() as u64
    }

    /// Headers of the last call to an endpoint.
    pub fn last_headers(&self, endpoint: Endpoint) -> Option<HeaderMap> {
        self.lock().last_headers.get(&endpoint).cloned()
    }

    /// Adds a file the simulated Telegram serves.
    pub fn add_telegram_file(&self, file_id: &str, file_path: &str, bytes: Vec<u8>) {
        let file = TelegramFile {
            file_id: file_id.to_owned(),
            file_path: file_path.to_owned(),
            bytes: bytes.into(),
        };
        self.lock().telegram_files.insert(file_id.to_owned(), file);
    }

    /// Messages the simulated Telegram accepted, in order.
    pub fn telegram_messages(&self) -> Vec<TelegramMessage> {
        self.lock().messages.clone()
    }

    /// Counters as JSON, for `GET /_sim/stats`.
    pub fn stats(&self) -> Value {
        let inner = self.lock();
        let calls: Map<String, Value> = Endpoint::ALL
            .iter()
            .map(|e| {
                let n = inner.calls.get(e).copied().unwrap_or(0);
                (e.name().to_owned(), json!(n))
            })
            .collect();
        json!({
            "calls": calls,
            "task_count": inner.tasks.len(),
            "operation_count": inner.veo.operations.len(),
            "telegram_messages": inner.messages.len(),
            "useapi_assets": inner.useapi.assets.len(),
        })
    }
}

/// `GET /_sim/stats`.
pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.stats())
}

/// `GET /_sim/knobs`.
pub(crate) async fn get_knobs(State(shared): State<Arc<Shared>>) -> Json<Knobs> {
    Json(shared.knobs())
}

/// `PUT /_sim/knobs` with a [`Knobs`] body (missing fields take defaults).
pub(crate) async fn put_knobs(
    State(shared): State<Arc<Shared>>,
    Json(knobs): Json<Knobs>,
) -> Json<Knobs> {
    shared.set_knobs(knobs.clone());
    Json(knobs)
}

/// Body of `POST /_sim/inject`.
#[derive(Debug, Deserialize)]
pub(crate) struct InjectBody {
    endpoint: Endpoint,
    faults: Vec<Fault>,
}

/// `POST /_sim/inject`.
pub(crate) async fn inject(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<InjectBody>,
) -> Response {
    shared.inject(body.endpoint, body.faults);
    json_response(StatusCode::OK, &json!({"ok": true}))
}

/// Body of `POST /_sim/telegram-files`.
#[derive(Debug, Deserialize)]
pub(crate) struct TelegramFileBody {
    file_id: String,
    file_path: String,
    bytes_base64: String,
}

/// `POST /_sim/telegram-files`.
pub(crate) async fn telegram_file(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<TelegramFileBody>,
) -> Response {
    let Ok(bytes) = STANDARD.decode(body.bytes_base64.as_bytes()) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "bytes_base64 is not valid base64"}),
        );
    };
    shared.add_telegram_file(&body.file_id, &body.file_path, bytes);
    json_response(StatusCode::OK, &json!({"ok": true}))
}

/// `GET /_sim/telegram-messages`.
pub(crate) async fn telegram_messages(
    State(shared): State<Arc<Shared>>,
) -> Json<Vec<TelegramMessage>> {
    Json(shared.telegram_messages())
}
