//! An image2video request's input image, fetched from Telegram only when the
//! runner must submit a task (a resumed task needs no image, so a Telegram
//! outage never blocks finishing a task already paid for).

use async_trait::async_trait;

use super::notify::Notifier;
use crate::i18n::UserText;
use crate::provider::{ImageSource, InputImage, ProviderError};

/// The Telegram file of a request's input image, if it has one.
pub(super) struct TelegramImage<'a> {
    pub(super) notifier: Option<&'a Notifier>,
    pub(super) file_id: Option<&'a str>,
}

#[async_trait]
impl ImageSource for TelegramImage<'_> {
    async fn fetch(&self) -> Result<Option<InputImage>, ProviderError> {
        let Some(file_id) = self.file_id else {
            return Ok(None);
        };
        let notifier = self.notifier.ok_or_else(|| {
            ProviderError::fatal(UserText::new(
                "Изображение недоступно: Telegram не настроен (TELEGRAM_BOT_TOKEN).",
                "The image is unavailable: Telegram is not configured (TELEGRAM_BOT_TOKEN).",
            ))
        })?;
        let image = notifier
            .client()
            .download_image(file_id)
            .await
            .map_err(|error| {
                if error.is_retryable() {
                    ProviderError::retryable(error.image_message())
                } else {
                    ProviderError::Fatal(error.image_message())
                }
            })?;
        Ok(Some(image))
    }
}
