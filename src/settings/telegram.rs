//! Telegram settings: `TELEGRAM_BOT_TOKEN` (no token: no notifications, no
//! image2video input) and `TELEGRAM_API_BASE_URL` (default the public Bot API).

use secrecy::SecretString;
use url::Url;

use super::SettingsError;
use super::source::Source;

/// How genworker reaches the Telegram Bot API.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// `TELEGRAM_BOT_TOKEN`: part of every Bot API URL, so never printed.
    pub bot_token: Option<SecretString>,
    /// `TELEGRAM_API_BASE_URL` (default `https://api.telegram.org`).
    pub api_base_url: Url,
}

impl TelegramSettings {
    pub(super) fn read(source: &Source) -> Result<Self, SettingsError> {
        let api_base_url = source.parse_or("TELEGRAM_API_BASE_URL", || {
            Url::parse("https://api.telegram.org")
        })?;
        if !matches!(api_base_url.scheme(), "http" | "https") {
            return Err(SettingsError::invalid(
                "TELEGRAM_API_BASE_URL",
                "expected an http(s) URL",
            ));
        }
        Ok(Self {
            bot_token: source.raw("TELEGRAM_BOT_TOKEN")?.map(SecretString::from),
            api_base_url,
        })
    }
}
