//! An image2video request's input image, fetched only when the runner must
//! submit a task (a resumed task needs no image, so an outage of Telegram or
//! of the image's host never blocks finishing a task already paid for): the
//! user's Telegram file, or the address the Kling WebApp stored, read under
//! the runner's address policy.

use async_trait::async_trait;
use url::Url;

use super::notify::Notifier;
use super::plan::ImageRef;
use crate::download::{DownloadError, Downloader};
use crate::i18n::UserText;
use crate::provider::{ImageSource, InputImage, ProviderError};
use crate::telegram::image_mime;

/// The largest image read from an address.
pub const MAX_IMAGE_BYTES: u64 = 32 * 1024 * 1024;

/// A request's input image, if it has one.
pub(super) struct RequestImage<'a> {
    pub(super) notifier: Option<&'a Notifier>,
    pub(super) image: Option<&'a ImageRef>,
    pub(super) downloader: &'a Downloader,
}

#[async_trait]
impl ImageSource for RequestImage<'_> {
    async fn fetch(&self) -> Result<Option<InputImage>, ProviderError> {
        match self.image {
            None => Ok(None),
            Some(ImageRef::Telegram(file_id)) => self.telegram_file(file_id).await.map(Some),
            Some(ImageRef::Address(address)) => self.at_address(address).await.map(Some),
        }
    }
}

impl RequestImage<'_> {
    async fn telegram_file(&self, file_id: &str) -> Result<InputImage, ProviderError> {
        let notifier = self.notifier.ok_or_else(|| {
            ProviderError::fatal(UserText::new(
                "Изображение недоступно: Telegram не настроен (TELEGRAM_BOT_TOKEN).",
                "The image is unavailable: Telegram is not configured (TELEGRAM_BOT_TOKEN).",
            ))
        })?;
        notifier
            .client()
            .download_image(file_id)
            .await
            .map_err(|error| {
                if error.is_retryable() {
                    ProviderError::retryable(error.image_message())
                } else {
                    ProviderError::Fatal(error.image_message())
                }
            })
    }

    async fn at_address(&self, address: &str) -> Result<InputImage, ProviderError> {
        let url = Url::parse(address).map_err(|error| {
            ProviderError::fatal(not_fetched(&format!("the address is invalid ({error})")))
        })?;
        let fetched = self
            .downloader
            .fetch_bytes(&url, MAX_IMAGE_BYTES)
            .await
            .map_err(|error: DownloadError| {
                let message = not_fetched(&error);
                if error.is_retryable() {
                    ProviderError::retryable(message)
                } else {
                    ProviderError::Fatal(message)
                }
            })?;
        let mime_type = image_mime(Some(&fetched.mime_type), url.path(), &fetched.bytes)
            .ok_or_else(|| {
                ProviderError::fatal(UserText::new(
                    "Файл не является изображением PNG, JPEG или WebP.",
                    "The file is not a PNG, JPEG or WebP image.",
                ))
            })?;
        Ok(InputImage {
            bytes: fetched.bytes,
            mime_type,
            source_url: Some(address.to_owned()),
        })
    }
}

fn not_fetched(reason: &dyn std::fmt::Display) -> UserText {
    UserText::new(
        format!("Не удалось скачать изображение: {reason}"),
        format!("Could not download the image: {reason}"),
    )
}
