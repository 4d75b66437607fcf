//! The photo the simulated Telegram serves from the start, so an image2video
//! request needs no setup: `getFile` with [`SIM_PHOTO_FILE_ID`] answers
//! [`SIM_PHOTO_PATH`], and `/file/bot<token>/photos/sim-photo.jpg` is the JPEG
//! (unless a test adds another file under the same id).

use std::collections::HashMap;

use axum::body::Bytes;

use super::telegram_state::TelegramFile;

/// The built-in Telegram file id (a photo's, as Telegram's start with `AgAC`).
pub const SIM_PHOTO_FILE_ID: &str = "AgAC-sim-photo";

/// The `file_path` `getFile` answers for [`SIM_PHOTO_FILE_ID`].
pub const SIM_PHOTO_PATH: &str = "photos/sim-photo.jpg";

/// The built-in photo: ffmpeg's `testsrc` pattern as a 160×120 JPEG, 5,511 bytes.
///
/// Made with Debian 12's ffmpeg 5.1 by
///
/// ```sh
/// ffmpeg -f lavfi -i testsrc=size=160x120 -frames:v 1 -q:v 5 \
///   -fflags +bitexact -flags +bitexact photo.jpg
/// ```
pub const SIM_PHOTO: &[u8] = include_bytes!("assets/photo.jpg");

/// The files the simulated Telegram serves before any is added: the photo.
pub(crate) fn builtin_files() -> HashMap<String, TelegramFile> {
    let photo = TelegramFile {
        file_id: SIM_PHOTO_FILE_ID.to_owned(),
        file_path: SIM_PHOTO_PATH.to_owned(),
        bytes: Bytes::from_static(SIM_PHOTO),
    };
    HashMap::from([(photo.file_id.clone(), photo)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_photo_is_a_jpeg() {
        assert!(SIM_PHOTO.starts_with(&[0xFF, 0xD8, 0xFF]), "JPEG start");
        assert!(SIM_PHOTO.ends_with(&[0xFF, 0xD9]), "JPEG end");
        assert!(SIM_PHOTO_PATH.ends_with(".jpg"));
    }
}
