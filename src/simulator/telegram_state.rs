//! What the simulated Telegram keeps: the messages it accepted, how an
//! uploaded file arrived, and the files it serves.

use axum::body::Bytes;
use serde::{Deserialize, Serialize};

/// A message the simulated Telegram accepted.
#[derive(Debug, Clone, Serialize)]
pub struct TelegramMessage {
    /// `sendVideo`, `sendDocument` or `sendMessage`.
    pub method: String,
    /// The `chat_id` parameter, as a string.
    pub chat_id: String,
    /// `sendMessage` text.
    pub text: Option<String>,
    /// `sendVideo` / `sendDocument` caption.
    pub caption: Option<String>,
    /// `parse_mode`, when sent.
    pub parse_mode: Option<String>,
    /// `reply_markup` as sent (a JSON text).
    pub reply_markup: Option<String>,
    /// Size of the uploaded multipart file; `None` when `video` was a URL or file id.
    pub video_bytes: Option<u64>,
    /// `video` when it was a string (URL or file id).
    pub video_url: Option<String>,
    /// The uploaded file part: field name, file name and content type.
    pub file: Option<FilePart>,
    /// The multipart fields in the order they came (empty for JSON bodies).
    pub fields: Vec<String>,
    /// `disable_content_type_detection`, when sent.
    pub disable_content_type_detection: Option<String>,
}

/// How a file arrived in a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePart {
    /// The multipart field (`video`, `document`).
    pub field: String,
    /// Its file name.
    pub file_name: Option<String>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
}

/// A file served by the simulated Telegram.
#[derive(Debug, Clone)]
pub(crate) struct TelegramFile {
    pub file_id: String,
    pub file_path: String,
    pub bytes: Bytes,
}
