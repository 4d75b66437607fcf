//! The MIME type of an image from Telegram: Content-Type, else the file path's
//! extension, else the magic bytes (PNG, JPEG, WebP).

/// The image's MIME type, if it is one we can send on.
pub fn image_mime(content_type: Option<&str>, file_path: &str, bytes: &[u8]) -> Option<String> {
    if let Some(essence) = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .filter(|value| value.starts_with("image/"))
    {
        return Some(essence);
    }
    let extension = file_path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    let by_extension = match extension.as_deref() {
        Some("jpg" | "jpeg") => Some("image/jpeg"),
        Some("png") => Some("image/png"),
        Some("webp") => Some("image/webp"),
        _ => None,
    };
    by_extension.or_else(|| sniff(bytes)).map(str::to_owned)
}

fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_then_extension_then_magic_bytes() {
        assert_eq!(
            image_mime(Some("image/png; q=1"), "x.jpg", b"").as_deref(),
            Some("image/png")
        );
        assert_eq!(
            image_mime(Some("application/octet-stream"), "photos/a.JPG", b"").as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(
            image_mime(None, "photos/a", b"\x89PNG\r\n\x1a\n....").as_deref(),
            Some("image/png")
        );
        assert_eq!(
            image_mime(None, "a", &[0xFF, 0xD8, 0xFF, 0xE0]).as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(
            image_mime(None, "a", b"RIFF\0\0\0\0WEBPVP8 ").as_deref(),
            Some("image/webp")
        );
        assert_eq!(image_mime(None, "a.bin", b"GIF89a"), None);
    }
}
