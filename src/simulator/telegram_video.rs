//! Telegram `sendVideo` and `sendDocument`: a multipart upload (counted while
//! streaming, never buffered) or a `video`/`document` string (URL or file id).

use axum::extract::{FromRequest, Multipart, Request};
use axum::response::Response;
use http::{StatusCode, header};
use serde_json::json;

use super::faults::{json_response, telegram_error};
use super::state::Shared;
use super::telegram::{Params, chat_json, formatting_error, params, query_params, record};
use super::telegram_state::{FilePart, TelegramMessage};

/// Longest caption Telegram accepts, in characters.
const MAX_CAPTION_CHARS: usize = 1024;
/// A nameless text part longer than this is taken for a file.
const MAX_TEXT_FIELD: usize = 64 * 1024;

fn bad_request(description: &str) -> Response {
    telegram_error(StatusCode::BAD_REQUEST, description)
}

/// The media methods: `sendVideo` (field `video`) and `sendDocument` (`document`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Media {
    /// `sendVideo`.
    Video,
    /// `sendDocument`.
    Document,
}

impl Media {
    fn method(self) -> &'static str {
        match self {
            Self::Video => "sendVideo",
            Self::Document => "sendDocument",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Document => "document",
        }
    }
}

/// What a multipart body held besides its text fields.
#[derive(Default)]
struct Multiparts {
    /// The file part of the media's field, and its size.
    upload: Option<(FilePart, u64)>,
    /// Every field name, in order.
    fields: Vec<String>,
}

/// Reads a multipart body into `params`; returns the media's file part, if any.
async fn read_multipart(
    request: Request,
    params: &mut Params,
    media: Media,
) -> Result<Multiparts, Response> {
    let unparsable = || bad_request("Bad Request: can't parse multipart/form-data");
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| unparsable())?;
    let mut found = Multiparts::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|_| unparsable())? {
        let name = field.name().unwrap_or_default().to_owned();
        found.fields.push(name.clone());
        let part = FilePart {
            field: name.clone(),
            file_name: field.file_name().map(str::to_owned),
            content_type: field.content_type().map(str::to_owned),
        };
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
            if name == media.field() {
                found.upload = Some((part, size));
            }
        } else {
            params.insert(name, String::from_utf8_lossy(&text).into_owned());
        }
    }
    Ok(found)
}

/// `sendVideo` / `sendDocument`: validates, records and acknowledges the message.
pub(crate) async fn send_media(shared: &Shared, request: Request, media: Media) -> Response {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (params, parts) = if multipart {
        let mut params = query_params(&request);
        match read_multipart(request, &mut params, media).await {
            Ok(parts) => (params, parts),
            Err(response) => return response,
        }
    } else {
        match params(request).await {
            Ok(params) => (params, Multiparts::default()),
            Err(response) => return response,
        }
    };
    let upload = parts.upload.as_ref().map(|(_, size)| *size);
    let limit = shared.lock().knobs.telegram_upload_limit_bytes;
    if upload.is_some_and(|size| size > limit) {
        tracing::debug!(?upload, limit, "Telegram upload over the limit");
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
    if let Some(response) = formatting_error(caption.as_deref(), &params) {
        return response;
    }
    let video_url = match upload {
        Some(_) => None,
        None => match params.get(media.field()).filter(|v| !v.trim().is_empty()) {
            Some(video) => Some(video.clone()),
            None => {
                return bad_request(&format!(
                    "Bad Request: there is no {} in the request",
                    media.field()
                ));
            }
        },
    };
    let message_id = record(
        shared,
        TelegramMessage {
            method: media.method().to_owned(),
            chat_id: chat_id.clone(),
            text: None,
            caption: caption.clone(),
            parse_mode: params.get("parse_mode").cloned(),
            reply_markup: params.get("reply_markup").cloned(),
            video_bytes: upload,
            video_url,
            file: parts.upload.map(|(part, _)| part),
            fields: parts.fields,
            disable_content_type_detection: params.get("disable_content_type_detection").cloned(),
        },
    );
    tracing::debug!(
        message_id,
        ?upload,
        method = media.method(),
        "Telegram upload accepted"
    );
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
