//! Fault injection and small response helpers shared by the handlers.

use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::knobs::Fault;
use super::state::Shared;

/// Which API an endpoint belongs to: decides how a fault looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Kling generic style (`{"error": ...}` bodies).
    Generic,
    /// Kling official style (`{code, message, request_id}` envelopes).
    Official,
    /// Telegram Bot API (`{ok: false, error_code, description}`).
    Telegram,
    /// Google APIs (`{"error": {code, message, status}}`).
    Google,
    /// Plain file download.
    File,
    /// Kling through useapi.net (`{"error": ...}` bodies).
    Useapi,
}

/// A JSON response with this status.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// A plain-text response with this status.
pub(crate) fn text_response(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// An official-style error envelope.
pub(crate) fn official_error(
    shared: &Shared,
    status: StatusCode,
    code: u32,
    msg: &str,
) -> Response {
    json_response(
        status,
        &json!({"code": code, "message": msg, "request_id": shared.request_id(), "data": null}),
    )
}

/// Google's error envelope; `status` names the code as Google's APIs do.
pub(crate) fn google_error(status: StatusCode, message: &str) -> Response {
    let name = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        _ => "INTERNAL",
    };
    json_response(
        status,
        &json!({"error": {"code": status.as_u16(), "message": message, "status": name}}),
    )
}

/// The Telegram error body.
pub(crate) fn telegram_error(status: StatusCode, description: &str) -> Response {
    json_response(
        status,
        &json!({"ok": false, "error_code": status.as_u16(), "description": description}),
    )
}

/// Counts the call, records its headers and plays the next injected fault.
///
/// Returns the response to send instead of normal handling, or `None` to go on
/// (no fault, or a delay that has elapsed).
pub(crate) async fn enter(
    shared: &Shared,
    endpoint: Endpoint,
    headers: &HeaderMap,
    flavor: Flavor,
) -> Option<Response> {
    let fault = shared.enter(endpoint, headers);
    tracing::debug!(endpoint = endpoint.name(), "call received");
    let fault = fault?;
    tracing::info!(endpoint = endpoint.name(), ?fault, "injecting fault");
    match fault {
        Fault::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            None
        }
        Fault::ServerError => Some(text_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )),
        Fault::RateLimited { retry_after_secs } => {
            Some(rate_limited(shared, flavor, retry_after_secs))
        }
        Fault::MalformedJson => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"task_id\": ",
            )
                .into_response(),
        ),
        Fault::Reject { code, body } => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
            let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            Some((status, [(header::CONTENT_TYPE, content_type)], body).into_response())
        }
    }
}

fn rate_limited(shared: &Shared, flavor: Flavor, secs: u64) -> Response {
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut response = match flavor {
        Flavor::Generic => json_response(status, &json!({"error": "rate limited"})),
        Flavor::Official => official_error(shared, status, 1302, "rate limit"),
        Flavor::Telegram => json_response(
            status,
            &json!({
                "ok": false,
                "error_code": 429,
                "description": format!("Too Many Requests: retry after {secs}"),
                "parameters": {"retry_after": secs},
            }),
        ),
        Flavor::Google => google_error(status, "Resource has been exhausted (e.g. check quota)."),
        Flavor::File => text_response(status, "rate limited"),
        Flavor::Useapi => json_response(status, &json!({"error": "Too many parallel jobs"})),
    };
    // Real Telegram says it only in the body; the client must read it there.
    if flavor != Flavor::Telegram {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Largest JSON request body the simulator reads (an image2video body carries
/// a base64 image).
const MAX_JSON_BODY: usize = 64 * 1024 * 1024;

/// Reads a request body as a JSON object; the error is a short message.
pub(crate) async fn read_json(body: Body) -> Result<Value, &'static str> {
    let bytes = axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|_| "request body unreadable or too large")?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("request body must be a JSON object"),
        Err(_) => Err("request body is not valid JSON"),
    }
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}
