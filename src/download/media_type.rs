//! Video MIME types and file extensions.

/// The MIME type for a URL path's extension, if it is a video we accept.
pub fn from_extension(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "mp4" => Some("video/mp4"),
        "mov" => Some("video/quicktime"),
        "webm" => Some("video/webm"),
        "mkv" => Some("video/x-matroska"),
        _ => None,
    }
}

/// The file extension for a video MIME type (`mp4` when unknown).
pub fn extension(mime_type: &str) -> &'static str {
    match mime_type {
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "video/x-matroska" => "mkv",
        _ => "mp4",
    }
}

/// A video MIME type from a `Content-Type` header value, without parameters.
pub fn from_content_type(value: &str) -> Option<String> {
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    essence.starts_with("video/").then_some(essence)
}

/// The MIME type of video bytes from their first bytes (MP4/QuickTime `ftyp`, WebM/Matroska EBML).
pub fn sniff(head: &[u8]) -> &'static str {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        if &head[8..12] == b"qt  " {
            "video/quicktime"
        } else {
            "video/mp4"
        }
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "video/webm"
    } else {
        "video/mp4"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_headers_extensions_and_magic_bytes() {
        assert_eq!(
            from_content_type("video/webm; codecs=vp9").as_deref(),
            Some("video/webm")
        );
        assert_eq!(from_content_type("application/octet-stream"), None);
        assert_eq!(from_extension("/a/b/clip.MOV"), Some("video/quicktime"));
        assert_eq!(from_extension("/clip.gif"), None);
        assert_eq!(extension("video/x-matroska"), "mkv");
        assert_eq!(extension("video/unknown"), "mp4");
        assert_eq!(sniff(b"\0\0\0\x18ftypisom...."), "video/mp4");
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  ...."), "video/quicktime");
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]), "video/webm");
    }
}
