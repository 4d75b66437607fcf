//! The Telegram Bot API: `/bot<token>/<method>` (getFile, sendMessage,
//! sendVideo) and file downloads under `/file/bot<token>/<file_path>`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::faults::{Flavor, enter, json_response, telegram_error, text_response};
use super::state::Shared;
use super::telegram_entities::parse_error;
use super::telegram_state::TelegramMessage;
use super::telegram_video::{Media, send_media};

/// Largest non-multipart Telegram request body read.
const MAX_PARAMS_BODY: usize = 1024 * 1024;
/// Longest `sendMessage` text Telegram accepts, in characters.
const MAX_TEXT_CHARS: usize = 4096;

/// Parameters of a Telegram call (query, JSON body or form body).
pub(crate) type Params = HashMap<String, String>;

/// Routes every path the Kling routes do not claim.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return download(&shared, rest, request.headers()).await;
    }
    let Some((token, method)) = path.strip_prefix("/bot").and_then(|r| r.split_once('/')) else {
        return text_response(StatusCode::NOT_FOUND, "not found");
    };
    let endpoint = match method.to_ascii_lowercase().as_str() {
        "getfile" => Endpoint::TelegramGetFile,
        "sendvideo" => Endpoint::TelegramSendVideo,
        "senddocument" => Endpoint::TelegramSendDocument,
        "sendmessage" => Endpoint::TelegramSendMessage,
        _ => return telegram_error(StatusCode::NOT_FOUND, "Not Found"),
    };
    if let Some(response) = enter(&shared, endpoint, request.headers(), Flavor::Telegram).await {
        return response;
    }
    if token != shared.bot_token {
        tracing::debug!("Telegram call with a wrong bot token");
        return telegram_error(StatusCode::NOT_FOUND, "Not Found");
    }
    match endpoint {
        Endpoint::TelegramSendVideo => send_media(&shared, request, Media::Video).await,
        Endpoint::TelegramSendDocument => send_media(&shared, request, Media::Document).await,
        Endpoint::TelegramGetFile => match params(request).await {
            Ok(params) => get_file(&shared, &params),
            Err(response) => response,
        },
        _ => match params(request).await {
            Ok(params) => send_message(&shared, &params),
            Err(response) => response,
        },
    }
}

/// A JSON value as a Telegram parameter string.
fn param_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Query parameters of a request.
pub(crate) fn query_params(request: &Request) -> Params {
    let query = request.uri().query().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Parameters from the query string, then a JSON or form body.
pub(crate) async fn params(request: Request) -> Result<Params, Response> {
    let mut params = query_params(&request);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = axum::body::to_bytes(request.into_body(), MAX_PARAMS_BODY)
        .await
        .map_err(|_| telegram_error(StatusCode::BAD_REQUEST, "Bad Request: body too large"))?;
    if content_type.starts_with("application/json") {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(telegram_error(
                StatusCode::BAD_REQUEST,
                "Bad Request: can't parse JSON object",
            ));
        };
        params.extend(map.iter().map(|(k, v)| (k.clone(), param_string(v))));
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        params.extend(url::form_urlencoded::parse(&bytes).into_owned());
    }
    Ok(params)
}

/// The `chat` object of a sent message.
pub(crate) fn chat_json(chat_id: &str) -> Value {
    match chat_id.parse::<i64>() {
        Ok(id) => json!({"id": id, "type": "private"}),
        Err(_) => json!({"id": chat_id, "type": "channel", "username": chat_id}),
    }
}

/// The Bot API's answer to a text whose `parse_mode` formatting does not parse.
pub(crate) fn formatting_error(text: Option<&str>, params: &Params) -> Option<Response> {
    let mode = params.get("parse_mode")?;
    let reason = parse_error(text?, mode)?;
    Some(telegram_error(
        StatusCode::BAD_REQUEST,
        &format!("Bad Request: can't parse entities: {reason}"),
    ))
}

/// Records an accepted message and returns its message id.
pub(crate) fn record(shared: &Shared, message: TelegramMessage) -> u64 {
    let mut inner = shared.lock();
    inner.messages.push(message);
    inner.messages.len() as u64
}

fn send_message(shared: &Shared, params: &Params) -> Response {
    let chat_id = params.get("chat_id").cloned().unwrap_or_default();
    if chat_id.is_empty() {
        return telegram_error(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty");
    }
    let text = params.get("text").cloned().unwrap_or_default();
    if text.trim().is_empty() {
        return telegram_error(
            StatusCode::BAD_REQUEST,
            "Bad Request: message text is empty",
        );
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return telegram_error(StatusCode::BAD_REQUEST, "Bad Request: message is too long");
    }
    if let Some(response) = formatting_error(Some(&text), params) {
        return response;
    }
    let message_id = record(
        shared,
        TelegramMessage {
            method: "sendMessage".to_owned(),
            chat_id: chat_id.clone(),
            text: Some(text.clone()),
            caption: None,
            parse_mode: params.get("parse_mode").cloned(),
            reply_markup: params.get("reply_markup").cloned(),
            video_bytes: None,
            video_url: None,
            file: None,
            fields: Vec::new(),
            disable_content_type_detection: None,
        },
    );
    tracing::debug!(message_id, "Telegram sendMessage accepted");
    json_response(
        StatusCode::OK,
        &json!({"ok": true, "result": {
            "message_id": message_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(&chat_id),
            "text": text,
        }}),
    )
}

fn get_file(shared: &Shared, params: &Params) -> Response {
    let file_id = params
        .get("file_id")
        .map(String::as_str)
        .unwrap_or_default();
    let found = shared.lock().telegram_files.get(file_id).cloned();
    let Some(file) = found else {
        return telegram_error(StatusCode::BAD_REQUEST, "Bad Request: invalid file_id");
    };
    json_response(
        StatusCode::OK,
        &json!({"ok": true, "result": {
            "file_id": file.file_id,
            "file_unique_id": format!("uniq-{}", file.file_id),
            "file_size": file.bytes.len(),
            "file_path": file.file_path,
        }}),
    )
}

/// Content type by file extension.
fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

/// `/file/bot<token>/<file_path>`: `rest` is `<token>/<file_path>`.
async fn download(shared: &Shared, rest: &str, headers: &HeaderMap) -> Response {
    if let Some(response) = enter(shared, Endpoint::TelegramFile, headers, Flavor::Telegram).await {
        return response;
    }
    let not_found = || telegram_error(StatusCode::NOT_FOUND, "Not Found");
    let Some((token, path)) = rest.split_once('/') else {
        return not_found();
    };
    if token != shared.bot_token {
        return not_found();
    }
    let found = shared
        .lock()
        .telegram_files
        .values()
        .find(|f| f.file_path == path)
        .map(|f| f.bytes.clone());
    let Some(bytes) = found else {
        return not_found();
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type(path))],
        Body::from(bytes),
    )
        .into_response()
}
