//! Telling the user, in the words and with the buttons of the bot's own worker
//! ([`crate::message`]). The notifier only talks to Telegram: recording the
//! delivery is the job's delivery step (`deliver.rs`).

use std::path::PathBuf;

use tracing::warn;

use crate::catalog::AiModel;
use crate::i18n::Language;
use crate::message::{ChargeFacts, MessageStyle, Outgoing, VideoFacts};
use crate::queue::GenRequest;
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

/// What to tell a user about their request.
pub enum Tell<'a> {
    /// Their video: its caption's facts, the local file (when there is one) and
    /// where it is stored.
    Video {
        /// What the caption says.
        facts: VideoFacts<'a>,
        /// The local file to upload, if any.
        file: Option<PathBuf>,
        /// The stored video's address.
        url: &'a str,
    },
    /// Why it failed, already in the user's language.
    Failure(&'a str),
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

    /// Tells the user in `chat_id`, in `language`: the video with its caption,
    /// or `❌ Ошибка генерации видео: …` (or its English) with the bot's menu.
    pub async fn tell(
        &self,
        chat_id: i64,
        language: Language,
        what: Tell<'_>,
    ) -> Result<(), TelegramError> {
        match what {
            Tell::Video { facts, file, url } => {
                let caption = self.style.caption(language, &facts);
                self.send_video(chat_id, file, &caption, url, language)
                    .await
            }
            Tell::Failure(text) => {
                let message = self
                    .style
                    .failure(language, text, self.mini_app_url.as_deref());
                self.client.send_text(chat_id, &message).await
            }
        }
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
}

/// The first of a finished request's `result_urls`.
pub fn result_url(request: &GenRequest) -> Option<&str> {
    request.result_urls.0.get(0).and_then(|url| url.as_str())
}
