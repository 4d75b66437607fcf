//! The Telegram Bot API client (`TELEGRAM_API_BASE_URL`, `TELEGRAM_BOT_TOKEN`):
//! fetching a user's image for image2video, sending the video or an error message.
//! The bot token is part of every URL, so no URL ever goes into a log line or an
//! error: transport errors are stripped of theirs.

mod image;

use std::path::Path;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

pub use image::image_mime;

use crate::i18n::UserText;
use crate::message::{FILE_NAME, Outgoing, ParseMode, Upload, python_json};
use crate::net::ClientError;
use crate::provider::InputImage;
use crate::settings::TelegramSettings;

/// Telegram serves files up to this size to bots.
pub const MAX_DOWNLOAD_BYTES: u64 = 20 * 1024 * 1024;
/// Longest caption Telegram accepts, in characters.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Longest message Telegram accepts, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Attempts per call when Telegram says 429.
const ATTEMPTS: u32 = 3;
/// The longest `retry_after` honoured; beyond it the call fails.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A failed Bot API call.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// Telegram answered `ok: false`.
    #[error("Telegram API error {code}: {description}")]
    Api {
        /// `error_code`.
        code: u16,
        /// `description`.
        description: String,
    },
    /// The file is over the 20 MB bots may download.
    #[error("the file is {size} bytes; Telegram serves at most {MAX_DOWNLOAD_BYTES} to bots")]
    FileTooLarge {
        /// Its size.
        size: u64,
    },
    /// The image is not PNG, JPEG or WebP.
    #[error("the file is not a PNG, JPEG or WebP image")]
    NotAnImage,
    /// Connecting or reading failed (URL removed: it holds the token).
    #[error("Telegram transport error: {0}")]
    Transport(String),
    /// A local file could not be read.
    #[error("cannot read the video file: {0}")]
    Io(String),
}

impl TelegramError {
    /// The message for the bot's user when their input image cannot be used.
    pub fn image_message(&self) -> UserText {
        let not_fetched = |reason: &dyn std::fmt::Display| {
            UserText::new(
                format!("Не удалось получить изображение из Telegram: {reason}"),
                format!("Could not get the image from Telegram: {reason}"),
            )
        };
        match self {
            Self::FileTooLarge { .. } => UserText::new(
                "Изображение больше 20 МБ: Telegram не отдаёт ботам такие файлы.",
                "The image is over 20 MB: Telegram does not give bots such files.",
            ),
            Self::NotAnImage => UserText::new(
                "Файл не является изображением PNG, JPEG или WebP.",
                "The file is not a PNG, JPEG or WebP image.",
            ),
            Self::Api { description, .. } => not_fetched(description),
            other => not_fetched(other),
        }
    }

    /// Whether trying later may help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Io(_) => true,
            Self::Api { code, .. } => *code == 429 || *code >= 500,
            _ => false,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct FileInfo {
    file_path: Option<String>,
    file_size: Option<u64>,
}

/// A Bot API client for one bot.
#[derive(Clone)]
pub struct TelegramClient {
    client: reqwest::Client,
    base: Url,
    token: SecretString,
}

impl std::fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TelegramClient({})", self.base)
    }
}

impl TelegramClient {
    /// A client when `TELEGRAM_BOT_TOKEN` is set.
    pub fn from_settings(settings: &TelegramSettings) -> Result<Option<Self>, ClientError> {
        let Some(token) = settings.bot_token.clone() else {
            return Ok(None);
        };
        let client = crate::net::client_builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Some(Self {
            client,
            base: settings.api_base_url.clone(),
            token,
        }))
    }

    /// `<base>/bot<token>/<method>`, or `<base>/file/bot<token>/<file path>` for files;
    /// built by segments, since `bot123:ABC` must not read as a URL scheme.
    fn url(&self, file: bool, rest: &str) -> Result<Url, TelegramError> {
        let mut url = self.base.clone();
        let mut segments = url.path_segments_mut().map_err(|_| {
            TelegramError::Transport("TELEGRAM_API_BASE_URL cannot hold a path".into())
        })?;
        segments.pop_if_empty();
        if file {
            segments.push("file");
        }
        segments
            .push(&format!("bot{}", self.token.expose_secret()))
            .extend(rest.split('/'));
        drop(segments);
        Ok(url)
    }

    /// Calls a method, honouring 429 `retry_after` up to three attempts.
    async fn call(
        &self,
        method: &str,
        request: impl Fn(reqwest::Client, Url) -> Result<reqwest::RequestBuilder, TelegramError>,
    ) -> Result<Value, TelegramError> {
        let url = self.url(false, method)?;
        let mut attempt = 0;
        loop {
            let response = request(self.client.clone(), url.clone())?
                .send()
                .await
                .map_err(transport)?;
            let status = response.status();
            let envelope: Envelope = response.json().await.map_err(|error| TelegramError::Api {
                code: status.as_u16(),
                description: error.without_url().to_string(),
            })?;
            if envelope.ok {
                return Ok(envelope.result);
            }
            let code = envelope.error_code.unwrap_or(status.as_u16());
            let wait = envelope
                .parameters
                .and_then(|p| p.retry_after)
                .map(Duration::from_secs);
            attempt += 1;
            match wait {
                Some(wait) if code == 429 && attempt < ATTEMPTS && wait <= MAX_RETRY_AFTER => {
                    tracing::info!(
                        telegram.method = method,
                        wait_s = wait.as_secs(),
                        "Telegram rate limit; waiting"
                    );
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return Err(TelegramError::Api {
                        code,
                        description: envelope.description.unwrap_or_default(),
                    });
                }
            }
        }
    }

    /// Fetches a user's image by `file_id` (`getFile`, then the file itself).
    pub async fn download_image(&self, file_id: &str) -> Result<InputImage, TelegramError> {
        let result = self
            .call("getFile", |client, url| {
                Ok(client.post(url).json(&json!({"file_id": file_id})))
            })
            .await?;
        let info: FileInfo = serde_json::from_value(result).map_err(|error| {
            TelegramError::Transport(format!("unexpected getFile answer: {error}"))
        })?;
        if let Some(size) = info.file_size.filter(|size| *size > MAX_DOWNLOAD_BYTES) {
            return Err(TelegramError::FileTooLarge { size });
        }
        let file_path = info.file_path.ok_or(TelegramError::Api {
            code: 400,
            description: "getFile returned no file_path".into(),
        })?;
        let mut response = self
            .client
            .get(self.url(true, &file_path)?)
            .send()
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(TelegramError::Api {
                code: response.status().as_u16(),
                description: "file download failed".into(),
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > MAX_DOWNLOAD_BYTES {
                return Err(TelegramError::FileTooLarge {
                    size: bytes.len() as u64,
                });
            }
        }
        let mime_type = image_mime(content_type.as_deref(), &file_path, &bytes)
            .ok_or(TelegramError::NotAnImage)?;
        Ok(InputImage {
            bytes,
            mime_type,
            source_url: None,
        })
    }

    /// Uploads a finished video (streamed from disk) as `upload` says, with the
    /// message's caption, `parse_mode` and `reply_markup`. A caption Telegram
    /// cannot parse goes again as plain text rather than be lost.
    pub async fn send_file(
        &self,
        chat_id: i64,
        video: &Path,
        upload: Upload,
        message: &Outgoing,
    ) -> Result<(), TelegramError> {
        let size = tokio::fs::metadata(video)
            .await
            .map_err(|e| TelegramError::Io(e.to_string()))?
            .len();
        let caption = cut(&message.text, MAX_CAPTION_CHARS);
        let markup = python_json(&message.reply_markup);
        let (caption, markup) = (&caption, &markup);
        let send = |parse_mode: Option<ParseMode>| {
            self.call(upload.method, move |client, url| {
                // The bot's field order: chat_id, caption, extras, parse_mode, reply_markup, file.
                let mut form = Form::new()
                    .text("chat_id", chat_id.to_string())
                    .text("caption", caption.clone());
                for (name, value) in upload.extra {
                    form = form.text(*name, *value);
                }
                if let Some(mode) = parse_mode {
                    form = form.text("parse_mode", mode.as_str());
                }
                let part = video_part(video, size, FILE_NAME, upload.content_type)?;
                let form = form
                    .text("reply_markup", markup.clone())
                    .part(upload.field, part);
                Ok(client.post(url).multipart(form))
            })
        };
        plain_on_parse_error(upload.method, message.parse_mode, send).await
    }

    /// Sends a text message (cut to 4096 characters) with its `parse_mode` and
    /// `reply_markup`; one Telegram cannot parse goes again as plain text.
    pub async fn send_text(&self, chat_id: i64, message: &Outgoing) -> Result<(), TelegramError> {
        let text = cut(&message.text, MAX_MESSAGE_CHARS);
        let markup = python_json(&message.reply_markup);
        let (text, markup) = (&text, &markup);
        let send = |parse_mode: Option<ParseMode>| {
            self.call("sendMessage", move |client, url| {
                let mut body = serde_json::Map::new();
                body.insert("chat_id".into(), json!(chat_id));
                body.insert("text".into(), json!(text));
                if let Some(mode) = parse_mode {
                    body.insert("parse_mode".into(), json!(mode.as_str()));
                }
                body.insert("reply_markup".into(), json!(markup));
                Ok(client.post(url).json(&Value::Object(body)))
            })
        };
        plain_on_parse_error("sendMessage", message.parse_mode, send).await
    }
}

/// Sends with `parse_mode`; when Telegram answers that it cannot parse the
/// entities (`_` or `*` in a prompt under Markdown), once more without it.
async fn plain_on_parse_error<F, Fut>(
    method: &str,
    parse_mode: Option<ParseMode>,
    send: F,
) -> Result<(), TelegramError>
where
    F: Fn(Option<ParseMode>) -> Fut,
    Fut: std::future::Future<Output = Result<Value, TelegramError>>,
{
    match send(parse_mode).await {
        Err(TelegramError::Api {
            code: 400,
            description,
        }) if parse_mode.is_some() && description.contains("can't parse entities") => {
            tracing::warn!(
                telegram.method = method,
                %description,
                "Telegram cannot parse the formatting; sending the same text as plain text"
            );
            send(None).await.map(drop)
        }
        other => other.map(drop),
    }
}

/// A multipart part streaming the file from disk, opened anew for each attempt.
fn video_part(
    path: &Path,
    size: u64,
    file_name: &str,
    mime_type: &str,
) -> Result<Part, TelegramError> {
    let file = std::fs::File::open(path).map_err(|error| TelegramError::Io(error.to_string()))?;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Part::stream_with_length(reqwest::Body::wrap_stream(stream), size)
        .file_name(file_name.to_owned())
        .mime_str(mime_type)
        .map_err(|error| TelegramError::Io(error.without_url().to_string()))
}

fn transport(error: reqwest::Error) -> TelegramError {
    TelegramError::Transport(error.without_url().to_string())
}

/// The first `max` characters of `text`.
pub fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
