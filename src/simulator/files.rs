//! Serving the videos: the embedded clip grown to the knob's size
//! ([`super::clip`]), produced on the fly and streamed (as a file, or base64
//! inside a JSON body) without ever holding a whole video in memory.

use std::io;
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::Stream;
use futures_util::stream;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::clip::{header, video_size};
use super::endpoint::Endpoint;
use super::faults::{Flavor, enter, text_response};
use super::knobs::Knobs;
use super::state::{Phase, Shared};

/// Bytes per streamed chunk of a video file.
const CHUNK: usize = 64 * 1024;
/// Bytes per base64-encoded chunk: a multiple of 3, so chunks concatenate.
const B64_CHUNK: usize = 48 * 1024;
/// The filler byte at offset `i` is `i % PERIOD`.
const PERIOD: usize = 251;

/// A buffer of filler bytes long enough to slice any chunk from.
fn pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..CHUNK + PERIOD)
            .map(|i| (i % PERIOD) as u8)
            .collect::<Vec<u8>>()
            .into()
    })
}

/// Bytes `[offset, offset + len)` of a video whose header is `header`;
/// `len` is at most [`CHUNK`].
fn chunk(header: &[u8], offset: u64, len: usize) -> Bytes {
    let header_len = header.len() as u64;
    if offset >= header_len {
        let start = (offset % PERIOD as u64) as usize;
        return pattern().slice(start..start + len);
    }
    let end = offset + len as u64;
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(&header[offset as usize..header_len.min(end) as usize]);
    bytes.extend((header_len..end).map(|i| (i % PERIOD as u64) as u8));
    bytes.into()
}

/// The exact bytes the simulator serves when the `video_bytes` knob is `size`
/// ([`video_size`] of them: never fewer than the clip's), for tests that compare
/// a downloaded file; builds the whole video in memory.
pub fn video_content(size: u64) -> Vec<u8> {
    let size = video_size(size);
    let header = header(size);
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut offset = 0;
    while offset < size {
        let len = (size - offset).min(CHUNK as u64) as usize;
        out.extend_from_slice(&chunk(&header, offset, len));
        offset += len as u64;
    }
    out
}

/// Streams the first `limit` bytes of a video of `size` bytes in chunks of
/// `chunk_len`; when `limit < size`, ends with an error so the connection is cut.
fn video_stream(
    size: u64,
    limit: u64,
    chunk_len: usize,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let header: Arc<[u8]> = header(size).into();
    stream::unfold(0u64, move |offset| {
        let header = Arc::clone(&header);
        async move {
            if offset >= limit {
                if limit < size && offset != u64::MAX {
                    let cut = io::Error::new(io::ErrorKind::ConnectionAborted, "truncated");
                    return Some((Err(cut), u64::MAX));
                }
                return None;
            }
            let len = (limit - offset).min(chunk_len as u64) as usize;
            Some((Ok(chunk(&header, offset, len)), offset + len as u64))
        }
    })
}

/// A streamed JSON body: `prefix`, then the video of `size` bytes in base64,
/// then `suffix`. Memory stays at a few KiB whatever the size.
pub(crate) fn base64_json(prefix: String, size: u64, suffix: &'static str) -> Response {
    let encoded_len = size.div_ceil(3) * 4;
    let total = prefix.len() as u64 + encoded_len + suffix.len() as u64;
    let head = stream::once(async move { Ok::<Bytes, io::Error>(Bytes::from(prefix)) });
    let video = futures_util::StreamExt::map(video_stream(size, size, B64_CHUNK), |item| {
        item.map(|raw| Bytes::from(STANDARD.encode(&raw)))
    });
    let tail = stream::once(async move { Ok(Bytes::from_static(suffix.as_bytes())) });
    let body = futures_util::StreamExt::chain(futures_util::StreamExt::chain(head, video), tail);
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    response
}

/// `GET /files/{id}.mp4`: the video of a succeeded task.
pub(crate) async fn video_file(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::VideoFile, &headers, Flavor::File).await {
        return response;
    }
    let found = {
        let inner = shared.lock();
        let size = name
            .strip_suffix(".mp4")
            .and_then(|id| inner.tasks.get(id))
            .and_then(|task| match task.final_phase {
                Some(Phase::Succeeded { video_bytes }) => Some(video_bytes),
                _ => None,
            });
        size.map(|size| (size, inner.knobs.clone()))
    };
    match found {
        Some((size, knobs)) => video_response(size, &knobs),
        None => text_response(StatusCode::NOT_FOUND, "not found"),
    }
}

/// A `200` streaming a video of `size` bytes as the knobs say: its
/// Content-Type, cut at half the length when downloads are truncated.
pub(crate) fn video_response(size: u64, knobs: &Knobs) -> Response {
    let limit = if knobs.truncate_download {
        size / 2
    } else {
        size
    };
    let content_type = knobs
        .video_content_type
        .as_deref()
        .and_then(|ct| HeaderValue::from_str(ct).ok())
        .unwrap_or_else(|| HeaderValue::from_static("video/mp4"));
    let mut response = Response::new(Body::from_stream(video_stream(size, limit, CHUNK)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    response
}

#[cfg(test)]
mod tests {
    use super::super::clip::CLIP;
    use super::*;

    #[test]
    fn video_content_is_the_clip_then_filler_at_the_size() {
        let clip = CLIP.len() as u64;
        for size in [
            0u64,
            5,
            clip - 1,
            clip,
            clip + 1,
            clip + 7,
            100_000,
            200_000,
        ] {
            let v = video_content(size);
            assert_eq!(v.len() as u64, video_size(size));
            assert_eq!(v[..4], header(video_size(size))[..4]);
            assert_eq!(&v[4..8], b"ftyp");
        }
        let v = video_content(100_000);
        assert_eq!(v[..CLIP.len()], header(100_000)[..]);
        assert_eq!(v[99_999], (99_999 % PERIOD) as u8);
    }

    #[tokio::test]
    async fn a_stream_equals_the_content_at_any_chunk_size() {
        let size = 3 * CHUNK as u64 + 17;
        for chunk_len in [1000, CHUNK] {
            let mut streamed = Vec::new();
            let mut parts = std::pin::pin!(video_stream(size, size, chunk_len));
            while let Some(part) = futures_util::StreamExt::next(&mut parts).await {
                streamed.extend_from_slice(&part.expect("no cut"));
            }
            assert_eq!(streamed, video_content(size), "chunks of {chunk_len}");
        }
    }
}
