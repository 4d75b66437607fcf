//! Telegram settings: `TELEGRAM_BOT_TOKEN` (no token: no notifications, no
//! image2video input), `TELEGRAM_API_BASE_URL` (default the public Bot API),
//! `GENWORKER_MESSAGE_STYLE` (which release of the bot's messages), and the bot's
//! own `PAYMENT_MINI_APP_URL` / `PUBLIC_BASE_URL` (its menu's top-up button).

use secrecy::SecretString;
use url::Url;

use super::SettingsError;
use super::source::Source;
use crate::message::StyleSetting;

/// How genworker reaches the Telegram Bot API.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// `TELEGRAM_BOT_TOKEN`: part of every Bot API URL, so never printed.
    pub bot_token: Option<SecretString>,
    /// `TELEGRAM_API_BASE_URL` (default `https://api.telegram.org`).
    pub api_base_url: Url,
    /// `GENWORKER_MESSAGE_STYLE`: `auto` (default), `b6702256` or `2d893898`.
    pub message_style: StyleSetting,
    /// The payment mini app the latest release's menu opens: `PAYMENT_MINI_APP_URL`,
    /// else `PUBLIC_BASE_URL` + `/miniapp/`, as the bot derives it.
    pub mini_app_url: Option<String>,
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
        let mini_app_url = match http_url(source, "PAYMENT_MINI_APP_URL")? {
            Some(url) => Some(url),
            None => http_url(source, "PUBLIC_BASE_URL")?
                .map(|base| format!("{}/miniapp/", base.trim_end_matches('/'))),
        };
        Ok(Self {
            bot_token: source.raw("TELEGRAM_BOT_TOKEN")?.map(SecretString::from),
            api_base_url,
            message_style: source.parse_or("GENWORKER_MESSAGE_STYLE", || Ok(StyleSetting::Auto))?,
            mini_app_url,
        })
    }
}

/// An optional `http(s)` URL setting, as written.
fn http_url(source: &Source, variable: &'static str) -> Result<Option<String>, SettingsError> {
    let Some(text) = source.raw(variable)? else {
        return Ok(None);
    };
    let text = text.trim();
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(Some(text.to_owned())),
        _ => Err(SettingsError::invalid(
            variable,
            format!("expected an http(s) URL, got `{text}`"),
        )),
    }
}
