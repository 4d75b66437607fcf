//! Telegram `sendVideo`: a multipart upload (counted while streaming, never
//! buffered) or a `video` string (URL or file id).

use axum::extract::{FromRequest, Multipart, Request};
use axum::response::Response;
use http::{StatusCode, header};
use serde_json::json;

use super::faults::{json_response, telegram_error};
use super::state::{Shared, TelegramMessage};
use super::telegram::{Params, chat_json, params, query_params, record};

/// Longest caption Telegram accepts, in characters.
const MAX_CAPTION_CHARS: usize = 1024;
/// A nameless text part longer than this is taken for a file.
const MAX_TEXT_FIELD: usize = 64 * 1024;

fn bad_request(description: &str) -> Response {
    telegram_error(StatusCode::BAD_REQUEST, description)
}

/// Reads a multipart body into `params`; returns the size of the `video` file
/// part, if there is one.
async fn read_multipart(request: Request, params: &mut Params) -> Result<Option<u64>, Response> {
    let unparsable = || bad_request("Bad Request: can't parse multipart/form-data");
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| unparsable())?;
    let mut upload = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| unparsable())? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut is_file = field.file_name().is_some()
            || field
                .content_type()
                .is_some_and(|ct| !ct.starts_with("text/"));
        let (mut text, mut size) = (Vec::new(), 0u64);
        while let Some(chunk) = field.chunk().await.map_err(|_| unparsable())? {
            size += chunk.len() as u64;
            if !is_file {
                if text.len() + chunk.len() > MAX_TEXT_FIELD {
                    is_file = true;
                    text = Vec::new();
                } else {
                    text.extend_from_slice(&chunk);
                }
            }
        }
        if is_file {
            if name == "video" {
                upload = Some(size);
            }
        } else {
            params.insert(name, String::from_utf8_lossy(&text).into_owned());
        }
    }
    Ok(upload)
}

/// `sendVideo`: validates, records and acknowledges the message.
pub(crate) async fn send_video(shared: &Shared, request: Request) -> Response {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (params, upload) = if multipart {
        let mut params = query_params(&request);
        match read_multipart(request, &mut params).await {
            Ok(upload) => (params, upload),
            Err(response) => return response,
        }
    } else {
        match params(request).await {
            Ok(params) => (params, None),
            Err(response) => return response,
        }
    };
    let limit = shared.lock().knobs.telegram_upload_limit_bytes;
    if upload.is_some_and(|size| size > limit) {
        tracing::debug!(?upload, limit, "Telegram sendVideo upload over the limit");
        return telegram_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    }
    let chat_id = params.get("chat_id").cloned().unwrap_or_default();
    if chat_id.is_empty() {
        return bad_request("Bad Request: chat_id is empty");
    }
    let caption = params.get("caption").cloned();
    if caption
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS)
    {
        return bad_request("Bad Request: message caption is too long");
    }
    let video_url = match upload {
        Some(_) => None,
        None => match params.get("video").filter(|v| !v.trim().is_empty()) {
            Some(video) => Some(video.clone()),
            None => return bad_request("Bad Request: there is no video in the request"),
        },
    };
    let message_id = record(
        shared,
        TelegramMessage {
            method: "sendVideo".to_owned(),
            chat_id: chat_id.clone(),
            text: None,
            caption: caption.clone(),
            video_bytes: upload,
            video_url,
        },
    );
    tracing::debug!(message_id, ?upload, "Telegram sendVideo accepted");
    json_response(
        StatusCode::OK,
        &json!({"ok": true, "result": {
            "message_id": message_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(&chat_id),
            "caption": caption,
            "video": {
                "file_id": format!("video-{message_id}"),
                "file_unique_id": format!("uniq-video-{message_id}"),
                "duration": 5,
                "width": 1280,
                "height": 720,
                "mime_type": "video/mp4",
                "file_size": upload.unwrap_or(0),
            },
        }}),
    )
}
