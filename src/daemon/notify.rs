//! Telling the user, after the outcome is committed and outside any transaction,
//! in the words and with the buttons of the bot's own worker ([`crate::message`]).
//! A failed notification is logged and changes nothing; a sent one marks the lease
//! delivered, so a worker that reclaims a finished request sends nothing twice.

use std::path::{Path, PathBuf};

use tracing::{info, warn};

use crate::catalog::AiModel;
use crate::i18n::Language;
use crate::message::{ChargeFacts, MessageStyle, Outgoing, VideoFacts};
use crate::queue::{GenRequest, QueueStore, status};
use crate::telegram::{TelegramClient, TelegramError};

/// Videos larger than this go out as a link (the public Bot API's upload limit).
const UPLOAD_LIMIT_BYTES: u64 = 50 * 1024 * 1024;

/// Sends outcomes through Telegram.
#[derive(Debug, Clone)]
pub struct Notifier {
    client: TelegramClient,
    media_root: PathBuf,
    style: MessageStyle,
    mini_app_url: Option<String>,
}

/// How to tell a user about an outcome stored earlier.
pub struct Told<'a> {
    /// The user's language.
    pub language: Language,
    /// The English wording of a stored failure (empty: none).
    pub error_en: &'a str,
}

/// What a finished request's caption tells: the request's own values, or the
/// plan's where it was just finished.
pub fn video_facts<'a>(
    request: &'a GenRequest,
    model: &'a AiModel,
    charged: Option<&'a ChargeFacts>,
    (duration, resolution, aspect_ratio): (Option<i32>, &'a str, &'a str),
) -> VideoFacts<'a> {
    VideoFacts {
        request_id: request.id,
        prompt: &request.prompt,
        generation_type: &request.generation_type,
        display_name: &model.display_name,
        slug: &model.slug,
        provider: &model.provider,
        duration,
        resolution,
        aspect_ratio,
        charge: charged,
    }
}

impl Notifier {
    /// A notifier speaking `style`; videos are read from `media_root`; the bot's
    /// menu opens the payment mini app at `mini_app_url`.
    pub fn new(
        client: TelegramClient,
        media_root: PathBuf,
        style: MessageStyle,
        mini_app_url: Option<String>,
    ) -> Self {
        Self {
            client,
            media_root,
            style,
            mini_app_url,
        }
    }

    /// The Telegram client (also used to fetch input images).
    pub fn client(&self) -> &TelegramClient {
        &self.client
    }

    /// Sends the video just finished (`file`, stored at `url`), then settles.
    pub async fn deliver_video(
        &self,
        store: &QueueStore,
        request: &GenRequest,
        facts: &VideoFacts<'_>,
        language: Language,
        (file, url): (&Path, &str),
        attempt: i32,
    ) {
        let caption = self.style.caption(language, facts);
        let sent = self
            .send_video(
                request.chat_id,
                Some(file.to_owned()),
                &caption,
                url,
                language,
            )
            .await;
        self.settle(store, request.id, attempt, sent).await;
    }

    /// Sends `❌ Ошибка генерации видео: …` (or its English) with the bot's menu,
    /// then settles; `text` is already in `language`.
    pub async fn deliver_error(
        &self,
        store: &QueueStore,
        id: i64,
        chat_id: i64,
        language: Language,
        text: &str,
        attempt: i32,
    ) {
        let sent = self.tell_failure(chat_id, language, text).await;
        self.settle(store, id, attempt, sent).await;
    }

    /// Tells a user why their request ended without a video (nothing settled).
    async fn tell_failure(
        &self,
        chat_id: i64,
        language: Language,
        text: &str,
    ) -> Result<(), TelegramError> {
        let message = self
            .style
            .failure(language, text, self.mini_app_url.as_deref());
        self.client.send_text(chat_id, &message).await
    }

    /// Delivers the stored outcome of a request finished by an earlier claim. An
    /// English user reads the English wording the failure stored beside its
    /// lease (`error_en`); without one (a failure written by an operator's
    /// command), the request's Russian `error_message`.
    pub async fn deliver(
        &self,
        store: &QueueStore,
        request: &GenRequest,
        (model, charged): (&AiModel, Option<&ChargeFacts>),
        told: Told<'_>,
        attempt: i32,
    ) {
        let Told { language, error_en } = told;
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
        let shown = (
            request.duration,
            request.video_resolution.as_str(),
            request.aspect_ratio.as_str(),
        );
        let facts = video_facts(request, model, charged, shown);
        let caption = self.style.caption(language, &facts);
        let url = result_url(request).unwrap_or_default();
        let sent = self
            .send_video(
                request.chat_id,
                self.local_copy(request),
                &caption,
                url,
                language,
            )
            .await;
        self.settle(store, request.id, attempt, sent).await;
    }

    /// The video file with its caption; its link instead when there is no local
    /// file, it is over the upload limit, or Telegram refuses it (the bot's own
    /// fallback); the caption alone when there is neither file nor public link.
    async fn send_video(
        &self,
        chat_id: i64,
        file: Option<PathBuf>,
        caption: &Outgoing,
        url: &str,
        language: Language,
    ) -> Result<(), TelegramError> {
        let public = (url.starts_with("https://") || url.starts_with("http://")).then_some(url);
        let uploadable = match file {
            Some(file) => match tokio::fs::metadata(&file).await {
                Ok(found) if found.len() > UPLOAD_LIMIT_BYTES && public.is_some() => None,
                Ok(_) => Some(file),
                Err(_) => None,
            },
            None => None,
        };
        let link = |url: &str, refused| self.style.link(language, caption, url, refused);
        match (uploadable, public) {
            (Some(file), public) => {
                let sent = self
                    .client
                    .send_file(chat_id, &file, self.style.upload(), caption)
                    .await;
                match (sent, public) {
                    (Err(error @ TelegramError::Api { .. }), Some(url))
                        if !error.is_retryable() =>
                    {
                        warn!(%error, "Telegram refused the video; sending its link");
                        self.client.send_text(chat_id, &link(url, true)).await
                    }
                    (sent, _) => sent,
                }
            }
            (None, Some(url)) => self.client.send_text(chat_id, &link(url, false)).await,
            (None, None) => self.client.send_text(chat_id, caption).await,
        }
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
        sent: Result<(), TelegramError>,
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
