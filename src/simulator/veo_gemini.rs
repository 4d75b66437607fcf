//! Veo on the Gemini API: `POST /v1beta/models/{m}:predictLongRunning`,
//! `GET /v1beta/models/{m}/operations/{id}` and `GET /v1beta/files/{id}:download`
//! (served by [`super::veo_files`]), authorised by the `x-goog-api-key` header.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::faults::{Flavor, enter, google_error, json_response, read_json};
use super::files::base64_json;
use super::state::{Inner, Shared};
use super::veo_files;
use super::veo_request;
use super::veo_state::{Delivery, VeoOperation, VeoResult, VeoStyle};

/// The Gemini API key the simulator accepts unless configured otherwise.
pub const SIM_GEMINI_API_KEY: &str = "sim-gemini-key";

/// `response.@type` of a finished Gemini operation.
const RESPONSE_TYPE: &str =
    "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse";
/// `parameters` the Gemini API refuses for Veo (Vertex-only ones).
const REFUSED_PARAMETERS: [&str; 6] = [
    "generateAudio",
    "seed",
    "storageUri",
    "fps",
    "compressionQuality",
    "resizeMode",
];
/// What closes an inline video's JSON after its base64.
const INLINE_SUFFIX: &str = "\",\"encoding\":\"video/mp4\"}}]}}}";

/// `None` when `x-goog-api-key` is the simulator's key, else Google's 400.
pub(crate) fn key_refused(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let key = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok());
    if key == Some(shared.gemini_api_key.as_str()) {
        return None;
    }
    tracing::debug!("Gemini call without the right API key");
    Some(google_error(
        StatusCode::BAD_REQUEST,
        "API key not valid. Please pass a valid API key.",
    ))
}

fn not_found(rest: &str) -> Response {
    let message = format!("The requested URL /v1beta/{rest} was not found.");
    google_error(StatusCode::NOT_FOUND, &message)
}

/// `POST /v1beta/{*rest}`: `models/{m}:predictLongRunning`.
pub(crate) async fn post(
    State(shared): State<Arc<Shared>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let model = rest
        .strip_prefix("models/")
        .and_then(|rest| rest.strip_suffix(":predictLongRunning"))
        .filter(|model| !model.is_empty() && !model.contains('/'));
    let Some(model) = model else {
        return not_found(&rest);
    };
    if let Some(response) = enter(&shared, Endpoint::VeoSubmit, &headers, Flavor::Google).await {
        return response;
    }
    if let Some(response) = key_refused(&shared, &headers) {
        return response;
    }
    let body = match read_json(body).await {
        Ok(body) => body,
        Err(message) => return google_error(StatusCode::BAD_REQUEST, message),
    };
    submit(&shared, model, body)
}

/// Starts an operation for a known model and a body the Gemini API takes.
fn submit(shared: &Shared, model: &str, body: Value) -> Response {
    let known = shared.knobs().veo_models.iter().any(|m| m == model);
    let refused = REFUSED_PARAMETERS
        .into_iter()
        .find(|name| body.pointer(&format!("/parameters/{name}")).is_some());
    let checked = veo_request::check(&body);
    shared.lock().last_bodies.insert(Endpoint::VeoSubmit, body);
    if !known {
        let message = format!(
            "models/{model} is not found for API version v1beta, or is not supported for \
             predictLongRunning. Call ListModels to see the list of available models and their \
             supported methods."
        );
        return google_error(StatusCode::NOT_FOUND, &message);
    }
    if let Some(name) = refused {
        let message = format!("`{name}` isn't supported by this model.");
        return google_error(StatusCode::BAD_REQUEST, &message);
    }
    if let Err(message) = checked {
        return google_error(StatusCode::BAD_REQUEST, &message);
    }
    let id = shared.request_id();
    let name = format!("models/{model}/operations/{id}");
    let operation = VeoOperation {
        name: name.clone(),
        id,
        style: VeoStyle::Gemini,
        storage_uri: None,
        created: Instant::now(),
        result: None,
    };
    shared.lock().veo.operations.insert(name.clone(), operation);
    tracing::debug!(operation = %name, "Gemini Veo operation started");
    json_response(StatusCode::OK, &json!({ "name": name }))
}

/// `GET /v1beta/{*rest}`: `models/{m}/operations/{id}` or `files/{id}:download`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(rest): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(file_id) = rest
        .strip_prefix("files/")
        .and_then(|rest| rest.strip_suffix(":download"))
        .filter(|id| !id.is_empty() && !id.contains('/'))
    {
        return veo_files::gemini_file(&shared, file_id, query.as_deref(), &headers).await;
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let ["models", model, "operations", id] = parts[..] else {
        return not_found(&rest);
    };
    if model.is_empty() || id.is_empty() {
        return not_found(&rest);
    }
    if let Some(response) = enter(&shared, Endpoint::VeoPoll, &headers, Flavor::Google).await {
        return response;
    }
    if let Some(response) = key_refused(&shared, &headers) {
        return response;
    }
    let name = format!("models/{model}/operations/{id}");
    let polled = {
        let mut inner = shared.lock();
        // A GET has no body: the last one seen no longer describes the last poll.
        inner.last_bodies.remove(&Endpoint::VeoPoll);
        let Inner { knobs, veo, .. } = &mut *inner;
        veo.poll(&name, knobs)
    };
    match polled {
        Some(operation) => answer(&shared, &operation),
        None => {
            let message = format!("Operation `{name}` not found.");
            google_error(StatusCode::NOT_FOUND, &message)
        }
    }
}

/// The operation as the Gemini API answers it.
fn answer(shared: &Shared, operation: &VeoOperation) -> Response {
    let name = &operation.name;
    let body = match &operation.result {
        None => json!({ "name": name }),
        Some(VeoResult::Video { bytes, delivery }) => match delivery {
            Delivery::Inline => {
                let prefix = format!(
                    "{{\"name\":{},\"done\":true,\"response\":{{\"@type\":\"{RESPONSE_TYPE}\",\
                     \"generateVideoResponse\":{{\"generatedSamples\":[{{\"video\":{{\
                     \"encodedVideo\":\"",
                    Value::String(name.clone())
                );
                return base64_json(prefix, *bytes, INLINE_SUFFIX);
            }
            Delivery::File { file_id } => {
                let uri = format!(
                    "{}/v1beta/files/{file_id}:download?alt=media",
                    shared.base_url
                );
                json!({"name": name, "done": true, "response": {
                    "@type": RESPONSE_TYPE,
                    "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]},
                }})
            }
            Delivery::Gcs { .. } => {
                return google_error(StatusCode::INTERNAL_SERVER_ERROR, "no Gemini result");
            }
        },
        Some(VeoResult::Failed { message }) => {
            json!({"name": name, "done": true, "error": {"code": 3, "message": message}})
        }
        Some(VeoResult::Filtered { reason }) => json!({"name": name, "done": true, "response": {
            "@type": RESPONSE_TYPE,
            "generateVideoResponse": {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [reason]},
        }}),
    };
    json_response(StatusCode::OK, &body)
}
