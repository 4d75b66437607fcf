//! The media a useapi.net create names, as the bot resolves them
//! (useapi_kling.md §6): an image or video given by address goes as it is when
//! useapi.net or Kling hosts it, else it is fetched (no credentials, under the
//! address policy) and uploaded as an asset; the request's own input image is
//! uploaded; an image over 10 MB is re-encoded as JPEG first.

use std::io::Cursor;

use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
use url::Url;

use super::{UseapiApi, messages};
use crate::i18n::UserText;
use crate::message::wire::python_repr;
use crate::provider::{InputImage, ProviderError};

/// Images over this size are re-encoded as JPEG before the upload.
const MAX_UPLOADED_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The largest image fetched from an address.
const MAX_FETCHED_IMAGE_BYTES: u64 = 32 * 1024 * 1024;
/// The largest reference video fetched from an address.
const MAX_FETCHED_VIDEO_BYTES: u64 = 64 * 1024 * 1024;
/// JPEG quality of a re-encoded image.
const JPEG_QUALITY: u8 = 90;
/// The widest or tallest image re-encoded.
const MAX_SIDE: u32 = 16_384;

/// What an asset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// A start, end or reference frame.
    Image,
    /// Omni's reference video.
    Video,
}

/// A URL the bot sends as it is (useapi.net's or Kling's own), not re-uploaded.
pub fn hosted_by_kling(url: &str) -> bool {
    url.contains("useapi.net") || url.contains("klingai.com")
}

impl UseapiApi {
    /// The URL to send for media named by `address`; `fetched` is the input
    /// image, uploaded instead of reading its address a second time.
    pub(super) async fn media_url(
        &self,
        address: &str,
        asset: Asset,
        fetched: Option<&InputImage>,
    ) -> Result<String, ProviderError> {
        if hosted_by_kling(address) {
            return Ok(address.to_owned());
        }
        if let Some(image) = fetched.filter(|image| image.source_url.as_deref() == Some(address)) {
            return self
                .upload(image.bytes.clone(), &image.mime_type, asset)
                .await;
        }
        let not_fetched = |reason: &dyn std::fmt::Display| match asset {
            Asset::Image => messages::image_not_fetched(reason),
            Asset::Video => messages::video_not_fetched(reason),
        };
        let url = Url::parse(address).map_err(|error| ProviderError::fatal(not_fetched(&error)))?;
        let cap = match asset {
            Asset::Image => MAX_FETCHED_IMAGE_BYTES,
            Asset::Video => MAX_FETCHED_VIDEO_BYTES,
        };
        let fetched = self.media.fetch_bytes(&url, cap).await.map_err(|error| {
            if error.is_retryable() {
                ProviderError::retryable(not_fetched(&error))
            } else {
                ProviderError::fatal(not_fetched(&error))
            }
        })?;
        self.upload(fetched.bytes, &fetched.mime_type, asset).await
    }

    /// Uploads an asset (`POST /v1/kling/assets/`, the raw bytes); its URL.
    pub(super) async fn upload(
        &self,
        bytes: Vec<u8>,
        mime_type: &str,
        asset: Asset,
    ) -> Result<String, ProviderError> {
        let (bytes, mime_type) = match asset {
            Asset::Image if bytes.len() > MAX_UPLOADED_IMAGE_BYTES => {
                let encoded = tokio::task::spawn_blocking(move || as_jpeg(&bytes))
                    .await
                    .map_err(|error| ProviderError::fatal(not_reencoded(error)))??;
                (encoded, "image/jpeg")
            }
            Asset::Image if mime_type.starts_with("image/") => (bytes, mime_type),
            Asset::Image => (bytes, "image/png"),
            Asset::Video if mime_type.starts_with("video/") => (bytes, mime_type),
            Asset::Video => (bytes, "video/mp4"),
        };
        let url = self.url("/v1/kling/assets/", &[], true)?;
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, mime_type)
            .body(bytes);
        let document = self.call("asset", request, ProviderError::Fatal).await?;
        ["url", "resourceUrl", "resource_url"]
            .iter()
            .find_map(|key| document.value.get(key).and_then(Value::as_str))
            .filter(|url| url.starts_with("http"))
            .map(str::to_owned)
            .ok_or_else(|| {
                let data = python_repr(&document.value);
                ProviderError::fatal(match asset {
                    Asset::Image => messages::no_asset_url(data),
                    Asset::Video => messages::no_video_asset_url(data),
                })
            })
    }
}

fn not_reencoded(error: impl std::fmt::Display) -> UserText {
    UserText::new(
        format!("Не удалось перекодировать изображение в JPEG: {error}"),
        format!("Could not re-encode the image as JPEG: {error}"),
    )
}

/// The image re-encoded as an RGB JPEG (at most [`MAX_SIDE`] pixels a side;
/// blocking: run it off the async threads).
fn as_jpeg(bytes: &[u8]) -> Result<Vec<u8>, ProviderError> {
    let unreadable = |error: image::ImageError| ProviderError::fatal(not_reencoded(error));
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| ProviderError::fatal(not_reencoded(error)))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let decoded = reader.decode().map_err(unreadable)?;
    let mut out = Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    decoded
        .to_rgb8()
        .write_with_encoder(encoder)
        .map_err(unreadable)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_image_becomes_a_jpeg_of_the_same_size() {
        let noise = image::RgbImage::from_fn(2400, 1800, |x, y| {
            let v = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)).wrapping_mul(2_654_435_761);
            image::Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
        });
        let mut png = Cursor::new(Vec::new());
        noise.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let png = png.into_inner();
        assert!(png.len() > MAX_UPLOADED_IMAGE_BYTES, "{} bytes", png.len());
        let jpeg = as_jpeg(&png).unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (2400, 1800));
        assert!(matches!(
            as_jpeg(b"not an image"),
            Err(ProviderError::Fatal(_))
        ));
    }

    #[test]
    fn kling_hosted_addresses() {
        assert!(hosted_by_kling("https://s21-kling.klingai.com/a.png"));
        assert!(hosted_by_kling("https://api.useapi.net/v1/assets/a"));
        assert!(!hosted_by_kling("https://example.supabase.co/a.png"));
    }
}
