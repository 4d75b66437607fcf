//! Telling the user, after the outcome is committed and outside any transaction.
//! A failed notification is logged and changes nothing; a sent one marks the
//! lease delivered, so a worker that reclaims a finished request sends nothing twice.

use std::path::PathBuf;

use tracing::{info, warn};

use super::message;
use crate::catalog::AiModel;
use crate::i18n::Language;
use crate::provider::VideoResult;
use crate::queue::{GenRequest, QueueStore, status};
use crate::telegram::TelegramClient;

/// Videos larger than this go out as a link (the public Bot API's upload limit).
const UPLOAD_LIMIT_BYTES: u64 = 50 * 1024 * 1024;

/// Sends outcomes through Telegram.
#[derive(Debug, Clone)]
pub struct Notifier {
    client: TelegramClient,
    media_root: PathBuf,
}

impl Notifier {
    /// A notifier storing nothing itself; videos are read from `media_root`.
    pub fn new(client: TelegramClient, media_root: PathBuf) -> Self {
        Self { client, media_root }
    }

    /// The Telegram client (also used to fetch input images).
    pub fn client(&self) -> &TelegramClient {
        &self.client
    }

    /// Sends the finished video (or a link when it is too large to upload), then settles.
    pub async fn deliver_video(
        &self,
        store: &QueueStore,
        request: &GenRequest,
        video: &VideoResult,
        url: &str,
        caption: &str,
        attempt: i32,
    ) {
        let sent = if video.size_bytes > UPLOAD_LIMIT_BYTES {
            self.client
                .send_message(request.chat_id, &format!("{caption}\n\n🔗 {url}"))
                .await
        } else {
            self.client
                .send_video(request.chat_id, &video.file, &video.mime_type, caption)
                .await
        };
        self.settle(store, request.id, attempt, sent).await;
    }

    /// Sends `❌ Ошибка генерации видео: …` (or its English), then settles;
    /// `text` is already in `language`.
    pub async fn deliver_error(
        &self,
        store: &QueueStore,
        id: i64,
        chat_id: i64,
        language: Language,
        text: &str,
        attempt: i32,
    ) {
        let sent = self
            .client
            .send_message(chat_id, &message::error(language, text))
            .await;
        self.settle(store, id, attempt, sent).await;
    }

    /// Delivers the stored outcome of a request finished by an earlier claim. An
    /// English user reads the English wording the failure stored beside its
    /// lease (`error_en`); without one (a failure written by an operator's
    /// command), the request's Russian `error_message`.
    pub async fn deliver(
        &self,
        store: &QueueStore,
        request: &GenRequest,
        model: &AiModel,
        language: Language,
        error_en: &str,
        attempt: i32,
    ) {
        if request.chat_id == 0 {
            self.settle(store, request.id, attempt, Ok(())).await;
            return;
        }
        if request.status == status::ERROR {
            let text = match language {
                Language::English if !error_en.is_empty() => error_en,
                _ => &request.error_message,
            };
            self.deliver_error(store, request.id, request.chat_id, language, text, attempt)
                .await;
            return;
        }
        let url = result_url(request);
        let caption = message::caption(
            language,
            &request.prompt,
            model,
            request.duration,
            &request.aspect_ratio,
            &request.video_resolution,
        );
        let public = url.filter(|url| url.starts_with("https://") || url.starts_with("http://"));
        let uploadable = match self.local_copy(request) {
            Some(file) => match tokio::fs::metadata(&file).await {
                // Too large for Telegram, and a link exists: send the link instead.
                Ok(found) if found.len() > UPLOAD_LIMIT_BYTES && public.is_some() => None,
                Ok(_) => Some(file),
                Err(_) => None,
            },
            None => None,
        };
        let sent = match (uploadable, public) {
            (Some(file), _) => {
                let mime = crate::download::media_type::from_extension(&file.to_string_lossy())
                    .unwrap_or("video/mp4");
                self.client
                    .send_video(request.chat_id, &file, mime, &caption)
                    .await
            }
            // No local copy (S3 storage removes it once sent): a public URL is a link.
            (None, Some(url)) => {
                let text = format!("{caption}\n\n🔗 {url}");
                self.client.send_message(request.chat_id, &text).await
            }
            (None, None) => self.client.send_message(request.chat_id, &caption).await,
        };
        self.settle(store, request.id, attempt, sent).await;
    }

    /// Where a finished request's video is (or was) under `MEDIA_ROOT/videos`.
    pub fn local_copy(&self, request: &GenRequest) -> Option<PathBuf> {
        result_url(request)
            .and_then(|url| url.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .map(|name| self.media_root.join("videos").join(name))
    }

    async fn settle(
        &self,
        store: &QueueStore,
        id: i64,
        attempt: i32,
        sent: Result<(), crate::telegram::TelegramError>,
    ) {
        match sent {
            Ok(()) => info!(request.id = id, "user notified"),
            Err(error) => warn!(request.id = id, %error, "notification failed; the outcome stands"),
        }
        if let Err(error) = store.settle(id, attempt).await {
            warn!(request.id = id, %error, "cannot record the delivery");
        }
    }
}

fn result_url(request: &GenRequest) -> Option<&str> {
    request.result_urls.0.get(0).and_then(|url| url.as_str())
}
