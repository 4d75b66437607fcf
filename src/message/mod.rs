//! What the bot's own worker tells its users, word for word and button for
//! button (`../shared/bot/messages.json`), in the style of the bot's release:
//! b6702256's one-line Markdown caption on `sendVideo` ([`seed`]), or 2d893898's
//! HTML block on `sendDocument` ([`latest`]). English users (`language_code`
//! `en*`) read the same structure in English, with the same buttons.

mod keyboard;
pub mod latest;
pub mod seed;
pub(crate) mod wire;

use std::str::FromStr;

use bigdecimal::BigDecimal;
use serde_json::Value;

pub use wire::python_json;

use crate::catalog::money_text;
use crate::db::live::Tables;
use crate::i18n::Language;
use crate::telegram::cut;

/// The most characters of a failure's reason the message shows (then `…`).
const REASON_CHARS: usize = 3500;

/// Which release's messages genworker sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStyle {
    /// The bot at b6702256, the seed's release.
    Seed,
    /// The bot at 2d893898, its latest release.
    Latest,
}

/// `GENWORKER_MESSAGE_STYLE`: a release, or `auto` (from the live schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StyleSetting {
    /// The latest release's style where the live `botapp_aimodel` has its
    /// `base_cost_usd`, else the seed's.
    #[default]
    Auto,
    /// This style whatever the schema says.
    Fixed(MessageStyle),
}

impl FromStr for StyleSetting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "auto" => Ok(Self::Auto),
            "b6702256" => Ok(Self::Fixed(MessageStyle::Seed)),
            "2d893898" => Ok(Self::Fixed(MessageStyle::Latest)),
            other => Err(format!(
                "expected `auto`, `b6702256` or `2d893898`, got `{other}`"
            )),
        }
    }
}

impl StyleSetting {
    /// The style for a database whose tables are `tables`.
    pub fn resolve(self, tables: &Tables) -> MessageStyle {
        match self {
            Self::Fixed(style) => style,
            Self::Auto if tables.column("botapp_aimodel", "base_cost_usd").is_some() => {
                MessageStyle::Latest
            }
            Self::Auto => MessageStyle::Seed,
        }
    }
}

/// `parse_mode` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    /// Telegram's legacy Markdown.
    Markdown,
    /// HTML.
    Html,
}

impl ParseMode {
    /// The value Telegram expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Markdown => "Markdown",
            Self::Html => "HTML",
        }
    }
}

/// A message ready to send: its text (or caption), `parse_mode` and `reply_markup`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The text or caption.
    pub text: String,
    /// How Telegram is to read it (`None`: the key is left out).
    pub parse_mode: Option<ParseMode>,
    /// The keyboard, sent as the bot's `json.dumps` of it.
    pub reply_markup: Value,
}

/// How a finished video is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload {
    /// `sendVideo` or `sendDocument`.
    pub method: &'static str,
    /// The file's multipart field.
    pub field: &'static str,
    /// The file's `Content-Type`.
    pub content_type: &'static str,
    /// Fields sent between the caption and `parse_mode`.
    pub extra: &'static [(&'static str, &'static str)],
}

/// The file name every video goes out under.
pub const FILE_NAME: &str = "video.mp4";

/// The charge a caption reports: the `generation` transaction's `amount`
/// (negative) and `balance_after`, as the bot reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeFacts {
    /// The charged amount, negative as stored.
    pub amount: BigDecimal,
    /// The balance right after the charge.
    pub balance_after: BigDecimal,
}

/// What a finished video's caption tells.
#[derive(Debug, Clone)]
pub struct VideoFacts<'a> {
    /// `botapp_genrequest.id` (the extension button's `callback_data`).
    pub request_id: i64,
    /// The user's prompt.
    pub prompt: &'a str,
    /// `generation_type`.
    pub generation_type: &'a str,
    /// The model's `display_name`.
    pub display_name: &'a str,
    /// The model's `slug` (its hashtag).
    pub slug: &'a str,
    /// The model's `provider`.
    pub provider: &'a str,
    /// Seconds of video.
    pub duration: Option<i32>,
    /// e.g. `1080p` ("" when unknown).
    pub resolution: &'a str,
    /// e.g. `16:9` ("" when unknown).
    pub aspect_ratio: &'a str,
    /// The request's charge (none: 0.00 and 0.00, as the bot shows).
    pub charge: Option<&'a ChargeFacts>,
}

impl VideoFacts<'_> {
    /// `(amount, balance after)` as stored, `0.00` each without a charge.
    fn money(&self) -> (String, String) {
        match self.charge {
            Some(charge) => (
                money_text(&charge.amount),
                money_text(&charge.balance_after),
            ),
            None => ("0.00".into(), "0.00".into()),
        }
    }
}

impl MessageStyle {
    /// The caption and keyboard of a finished video, at most 1,024 characters: a
    /// longer one has its prompt shortened (with `…`), every other part kept.
    pub fn caption(self, language: Language, facts: &VideoFacts<'_>) -> Outgoing {
        match self {
            Self::Seed => seed::caption(language, facts),
            Self::Latest => latest::caption(language, facts),
        }
    }

    /// The failure message: `❌ Ошибка генерации видео: <reason>` (the reason cut
    /// to 3,500 characters and `…`) with the bot's menu keyboard.
    pub fn failure(self, language: Language, reason: &str, mini_app_url: Option<&str>) -> Outgoing {
        let frame = match language {
            Language::Russian => "❌ Ошибка генерации видео",
            Language::English => "❌ Video generation failed",
        };
        let reason = if reason.chars().count() > REASON_CHARS {
            format!("{}…", cut(reason, REASON_CHARS))
        } else {
            reason.to_owned()
        };
        let reply_markup = match self {
            Self::Seed => keyboard::inline_menu(),
            Self::Latest => keyboard::reply_menu(mini_app_url),
        };
        Outgoing {
            text: format!("{frame}: {reason}"),
            parse_mode: None,
            reply_markup,
        }
    }

    /// The message with the video's link, when the file itself does not go out:
    /// Telegram refused it (`refused`), or it was not sent (too large, no local copy).
    pub fn link(
        self,
        language: Language,
        caption: &Outgoing,
        url: &str,
        refused: bool,
    ) -> Outgoing {
        match self {
            Self::Seed => Outgoing {
                text: format!("{}\n\n🔗 {url}", caption.text),
                ..caption.clone()
            },
            Self::Latest => Outgoing {
                text: latest::link_text(language, url, refused),
                parse_mode: None,
                reply_markup: caption.reply_markup.clone(),
            },
        }
    }

    /// How the video itself is uploaded.
    pub fn upload(self) -> Upload {
        match self {
            Self::Seed => Upload {
                method: "sendVideo",
                field: "video",
                content_type: "video/mp4",
                extra: &[],
            },
            Self::Latest => Upload {
                method: "sendDocument",
                field: "document",
                content_type: "application/octet-stream",
                extra: &[("disable_content_type_detection", "true")],
            },
        }
    }
}
