//! Reading a long-running operation (veo_vertex.md §4, §6): pending until
//! `done`; done with `error` is a failed task (the error's JSON text, as the
//! bot shows it); else the first video of `response.videos` (Vertex) or
//! `response.generateVideoResponse.generatedSamples` (the Gemini API), inline
//! base64 first, else its URI. No videos (content filtering included) is the
//! bot's "no videos" failure.

use bytes::Bytes;
use serde_json::Value;

use super::messages;
use crate::i18n::UserText;
use crate::message::wire::python_json_unicode;
use crate::provider::ProviderError;
use crate::provider::document::Document;

/// Where an API puts its videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `response.videos[].{bytesBase64Encoded | gcsUri}`.
    Vertex,
    /// `response.generateVideoResponse.generatedSamples[].video.{uri | encodedVideo}`.
    Gemini,
}

impl Layout {
    fn videos(self) -> &'static str {
        match self {
            Self::Vertex => "/response/videos",
            Self::Gemini => "/response/generateVideoResponse/generatedSamples",
        }
    }

    /// (base64 field, URI field) of the first video.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Self::Vertex => ("/0/bytesBase64Encoded", "/0/gcsUri"),
            Self::Gemini => ("/0/video/encodedVideo", "/0/video/uri"),
        }
    }
}

/// What an operation says.
#[derive(Debug, Clone)]
pub enum Reading {
    /// Not done yet.
    Pending,
    /// Done without a video.
    Failed(UserText),
    /// Done, the video inline.
    Base64(Bytes),
    /// Done, the video at this URI.
    Uri(String),
}

/// Reads an operation document.
pub fn read(document: &Document, layout: Layout) -> Result<Reading, ProviderError> {
    let value = &document.value;
    if value.get("done").and_then(Value::as_bool) != Some(true) {
        return Ok(Reading::Pending);
    }
    if let Some(error) = value.get("error").filter(|error| !error.is_null()) {
        return Ok(Reading::Failed(messages::operation_error(
            python_json_unicode(error),
        )));
    }
    let has_videos = value
        .pointer(layout.videos())
        .and_then(Value::as_array)
        .is_some_and(|videos| !videos.is_empty());
    if !has_videos {
        return Ok(Reading::Failed(messages::no_videos()));
    }
    let (inline, uri) = layout.fields();
    if let Some(data) = document
        .text_at(&format!("{}{inline}", layout.videos()))
        .filter(|data| !data.is_empty())
    {
        return Ok(Reading::Base64(data));
    }
    value
        .pointer(&format!("{}{uri}", layout.videos()))
        .and_then(Value::as_str)
        .filter(|uri| !uri.trim().is_empty())
        .map(|uri| Reading::Uri(uri.trim().to_owned()))
        .ok_or_else(|| ProviderError::fatal(messages::no_video_link()))
}

/// The first video's entry (the bot's `videoEntry`), if any.
pub fn video_entry(value: &Value, layout: Layout) -> Value {
    value
        .pointer(&format!("{}/0", layout.videos()))
        .cloned()
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_json(text: &str, layout: Layout) -> Result<Reading, ProviderError> {
        read(
            &Document::parse(Bytes::from(text.to_owned())).unwrap(),
            layout,
        )
    }

    #[test]
    fn pending_error_filtered_and_videos_in_both_layouts() {
        assert!(matches!(
            read_json(r#"{"name": "n"}"#, Layout::Vertex),
            Ok(Reading::Pending)
        ));
        assert!(matches!(
            read_json(r#"{"name": "n", "done": false}"#, Layout::Gemini),
            Ok(Reading::Pending)
        ));
        match read_json(
            r#"{"done": true, "error": {"code": 3, "message": "Запрос отклонён"}}"#,
            Layout::Vertex,
        ) {
            Ok(Reading::Failed(text)) => {
                assert_eq!(text.ru, r#"{"code": 3, "message": "Запрос отклонён"}"#)
            }
            other => panic!("{other:?}"),
        }
        for (text, layout) in [
            (
                r#"{"done": true, "response": {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["x"]}}"#,
                Layout::Vertex,
            ),
            (
                r#"{"done": true, "response": {"generateVideoResponse": {"raiMediaFilteredCount": 1}}}"#,
                Layout::Gemini,
            ),
            (
                r#"{"done": true, "response": {"videos": []}}"#,
                Layout::Vertex,
            ),
        ] {
            match read_json(text, layout) {
                Ok(Reading::Failed(message)) => {
                    assert_eq!(message.ru, "Veo не вернул видеоролики в ответе операции.")
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            read_json(r#"{"done": true, "response": {"videos": [{"bytesBase64Encoded": "AAAA", "gcsUri": "gs://b/o"}]}}"#, Layout::Vertex),
            Ok(Reading::Base64(data)) if &data[..] == b"AAAA"
        ));
        assert!(matches!(
            read_json(r#"{"done": true, "response": {"videos": [{"gcsUri": "gs://b/o.mp4"}]}}"#, Layout::Vertex),
            Ok(Reading::Uri(uri)) if uri == "gs://b/o.mp4"
        ));
        assert!(matches!(
            read_json(r#"{"done": true, "response": {"generateVideoResponse": {"generatedSamples": [{"video": {"uri": "https://g/v1beta/files/x:download?alt=media"}}]}}}"#, Layout::Gemini),
            Ok(Reading::Uri(uri)) if uri.ends_with(":download?alt=media")
        ));
        assert!(matches!(
            read_json(
                r#"{"done": true, "response": {"generateVideoResponse": {"generatedSamples": [{"video": {"encodedVideo": "AAAA", "encoding": "video/mp4"}}]}}}"#,
                Layout::Gemini
            ),
            Ok(Reading::Base64(_))
        ));
        match read_json(
            r#"{"done": true, "response": {"videos": [{"uri": "gs://b/o"}]}}"#,
            Layout::Vertex,
        ) {
            Err(ProviderError::Fatal(message)) => {
                assert_eq!(
                    message.ru,
                    "Не удалось извлечь ссылку на видео из ответа Veo."
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
