//! Decoding a base64 video straight into a file, a chunk at a time, so that
//! memory holds the encoded text once and never a second full copy.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::part_file::PartFile;
use super::{DownloadError, Stored, media_type};
use crate::provider::OutputTarget;

/// Encoded bytes decoded per step (a multiple of 4).
const CHUNK: usize = 256 * 1024;

fn engine(url_safe: bool) -> GeneralPurpose {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if url_safe {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config)
}

/// Decodes `encoded` (optionally a `data:…;base64,` URL, whitespace allowed)
/// into `<target>.<ext>`, refusing more than `max_bytes` of video.
pub async fn store_base64(
    encoded: &[u8],
    target: &OutputTarget,
    max_bytes: u64,
) -> Result<Stored, DownloadError> {
    let encoded = strip_data_url(encoded);
    if (encoded.len() as u64) / 4 * 3 > max_bytes + 3 {
        return Err(DownloadError::TooLarge {
            limit_bytes: max_bytes,
        });
    }
    let url_safe = encoded.iter().any(|&b| b == b'-' || b == b'_');
    let engine = engine(url_safe);
    let mut file = PartFile::create(target).await.map_err(DownloadError::io)?;
    // Buffers as large as this video needs, at most a chunk: a small video
    // (most of them, and every test) pays for its own size, not 450 KiB.
    let chunk = CHUNK.min(encoded.len().next_multiple_of(4));
    let mut clean = Vec::with_capacity(chunk);
    let mut decoded = vec![0u8; chunk / 4 * 3 + 3];
    let mut head = Vec::new();
    let mut rest = encoded;
    while !rest.is_empty() || !clean.is_empty() {
        while clean.len() < chunk && !rest.is_empty() {
            let take = (chunk - clean.len()).min(rest.len());
            clean.extend(
                rest[..take]
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace()),
            );
            rest = &rest[take..];
        }
        // Decode whole quads only, except for the very end.
        let usable = if rest.is_empty() {
            clean.len()
        } else {
            clean.len() / 4 * 4
        };
        let written = engine
            .decode_slice(&clean[..usable], &mut decoded)
            .map_err(|error| DownloadError::InvalidBase64(error.to_string()))?;
        if head.len() < 16 {
            head.extend_from_slice(&decoded[..written.min(16)]);
        }
        file.write(&decoded[..written])
            .await
            .map_err(DownloadError::io)?;
        if file.written() > max_bytes {
            return Err(DownloadError::TooLarge {
                limit_bytes: max_bytes,
            });
        }
        clean.drain(..usable);
    }
    if file.written() == 0 {
        return Err(DownloadError::InvalidBase64("empty".into()));
    }
    let mime_type = media_type::sniff(&head).to_owned();
    let size_bytes = file.written();
    let path = file
        .commit(target, media_type::extension(&mime_type))
        .await
        .map_err(DownloadError::io)?;
    crate::metrics::downloaded(size_bytes);
    Ok(Stored {
        path,
        size_bytes,
        mime_type,
    })
}

fn strip_data_url(encoded: &[u8]) -> &[u8] {
    if encoded.starts_with(b"data:")
        && let Some(comma) = encoded.iter().position(|&b| b == b',')
    {
        return &encoded[comma + 1..];
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    fn target(dir: &tempfile::TempDir) -> OutputTarget {
        OutputTarget {
            dir: dir.path().join("videos"),
            stem: "run-1".into(),
        }
    }

    fn video(len: usize) -> Vec<u8> {
        let mut bytes = b"\0\0\0\x18ftypisom".to_vec();
        bytes.extend((0..len).map(|i| (i * 7 % 251) as u8));
        bytes
    }

    #[tokio::test]
    async fn decodes_across_chunk_boundaries_with_whitespace_and_data_urls() {
        let dir = tempfile::tempdir().unwrap();
        let original = video(CHUNK * 2 + 17);
        let mut text = STANDARD.encode(&original).into_bytes();
        text.insert(100, b'\n');
        let mut with_prefix = b"data:video/mp4;base64,".to_vec();
        with_prefix.extend(text);
        let stored = store_base64(&with_prefix, &target(&dir), 10 << 20)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&stored.path).unwrap(), original);
        assert_eq!(stored.size_bytes, original.len() as u64);
        assert_eq!(stored.mime_type, "video/mp4");
        assert!(stored.path.ends_with("videos/run-1.mp4"));
    }

    #[tokio::test]
    async fn url_safe_unpadded_input_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let original = video(1000);
        let text = URL_SAFE_NO_PAD.encode(&original);
        let stored = store_base64(text.as_bytes(), &target(&dir), 1 << 20)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&stored.path).unwrap(), original);
    }

    #[tokio::test]
    async fn oversized_or_invalid_input_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = STANDARD.encode(video(5000));
        let error = store_base64(text.as_bytes(), &target(&dir), 1000)
            .await
            .unwrap_err();
        assert!(matches!(error, DownloadError::TooLarge { .. }));
        let error = store_base64(b"not base64 at all!!", &target(&dir), 1000)
            .await
            .unwrap_err();
        assert!(matches!(error, DownloadError::InvalidBase64(_)));
        let leftovers = std::fs::read_dir(dir.path().join("videos"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(leftovers, 0);
    }
}
