//! Media hosted "elsewhere" (as the Kling WebApp's Supabase bucket is), for
//! requests that name an image or a video by address: `GET /_sim/hosted/{name}`
//! serves `photo.jpg` (the built-in photo), `large.jpg` (the same photo padded
//! past 10 MB with JPEG comment segments, still a valid JPEG) and `clip.mp4`
//! (the embedded clip). No credentials; anything else is a 404.

use axum::body::Body;
use axum::extract::Path;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

use super::clip::CLIP;
use super::faults::text_response;
use super::photo::SIM_PHOTO;

/// The size `large.jpg` exceeds: the bot re-encodes uploads over 10 MB.
pub const LARGE_IMAGE_MIN_BYTES: usize = 10 * 1024 * 1024 + 1;

/// `GET /_sim/hosted/{name}`.
pub(crate) async fn hosted(Path(name): Path<String>) -> Response {
    let (bytes, content_type) = match name.as_str() {
        "photo.jpg" => (SIM_PHOTO.to_vec(), "image/jpeg"),
        "large.jpg" => (large_photo(), "image/jpeg"),
        "clip.mp4" => (CLIP.to_vec(), "video/mp4"),
        _ => return text_response(StatusCode::NOT_FOUND, "not found"),
    };
    let mut response = Response::new(Body::from(bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The photo with comment segments (`FF FE`, at most 65,533 bytes each) after
/// its start-of-image marker until it is over [`LARGE_IMAGE_MIN_BYTES`].
fn large_photo() -> Vec<u8> {
    const SEGMENT: usize = 65_533;
    let segments = LARGE_IMAGE_MIN_BYTES.div_ceil(SEGMENT);
    let mut out = Vec::with_capacity(SIM_PHOTO.len() + segments * (SEGMENT + 4));
    out.extend_from_slice(&SIM_PHOTO[..2]);
    for _ in 0..segments {
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&((SEGMENT + 2) as u16).to_be_bytes());
        out.resize(out.len() + SEGMENT, b' ');
    }
    out.extend_from_slice(&SIM_PHOTO[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_large_photo_is_a_large_jpeg() {
        let large = large_photo();
        assert!(large.len() >= LARGE_IMAGE_MIN_BYTES);
        assert!(large.starts_with(&[0xFF, 0xD8, 0xFF, 0xFE]));
        assert!(large.ends_with(&SIM_PHOTO[SIM_PHOTO.len() - 2..]));
    }
}
