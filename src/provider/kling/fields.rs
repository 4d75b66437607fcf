//! Reading the generic style's free-form responses, by the seed's rules: a field
//! is looked for at the top level, then inside `data`, `result`, `job`, `task`.

use serde_json::Value;

use bytes::Bytes;

use crate::provider::document::Document;

const CONTAINERS: [&str; 4] = ["data", "result", "job", "task"];
const ID_KEYS: [&str; 4] = ["id", "job_id", "task_id", "request_id"];
const STATUS_KEYS: [&str; 3] = ["status", "state", "job_status"];
const MESSAGE_KEYS: [&str; 4] = ["error_message", "error", "detail", "message"];
const BASE64_KEYS: [&str; 4] = ["video_base64", "video_data", "videoBytes", "content"];
const SUCCESS: [&str; 5] = ["success", "succeeded", "completed", "done", "finished"];
const FAILURE: [&str; 6] = [
    "error",
    "failed",
    "canceled",
    "cancelled",
    "rejected",
    "timeout",
];
const VIDEO_EXTENSIONS: [&str; 4] = [".mp4", ".mov", ".webm", ".mkv"];

/// Where a task stands, by its status field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A success status.
    Succeeded,
    /// A failure status.
    Failed,
    /// Anything else (queued, processing, no status at all).
    Pending,
}

/// The first non-null field among `keys`, top level first, as (JSON pointer, value).
fn find<'a>(value: &'a Value, keys: &[&str]) -> Option<(String, &'a Value)> {
    let direct = |object: &'a Value, prefix: &str| {
        keys.iter().find_map(|key| {
            object
                .get(key)
                .filter(|found| !found.is_null())
                .map(|found| (format!("{prefix}/{key}"), found))
        })
    };
    direct(value, "").or_else(|| {
        CONTAINERS.iter().find_map(|container| {
            value
                .get(container)
                .filter(|inner| inner.is_object())
                .and_then(|inner| direct(inner, &format!("/{container}")))
        })
    })
}

/// The task id: the first of id, job_id, task_id, request_id.
pub fn task_id(value: &Value) -> Option<String> {
    let (_, found) = find(value, &ID_KEYS)?;
    match found {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The task's status, case-insensitive.
pub fn status(value: &Value) -> Status {
    let Some((_, Value::String(text))) = find(value, &STATUS_KEYS) else {
        return Status::Pending;
    };
    let text = text.trim().to_ascii_lowercase();
    if SUCCESS.contains(&text.as_str()) {
        Status::Succeeded
    } else if FAILURE.contains(&text.as_str()) {
        Status::Failed
    } else {
        Status::Pending
    }
}

/// The failure message: error_message, error, detail or message.
pub fn failure_message(value: &Value) -> Option<String> {
    let (_, found) = find(value, &MESSAGE_KEYS)?;
    let text = match found {
        Value::String(text) => text.trim().to_owned(),
        Value::Object(object) => match object.get("message") {
            Some(Value::String(text)) => text.trim().to_owned(),
            _ => found.to_string(),
        },
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// The base64 video: the text of video_base64, video_data, videoBytes or content.
pub fn base64_video(document: &Document) -> Option<Bytes> {
    let (pointer, found) = find(&document.value, &BASE64_KEYS)?;
    if !found.is_string() {
        return None;
    }
    document.text_at(&pointer).filter(|text| !text.is_empty())
}

/// The first http(s) URL, at any depth, whose path ends in a video extension.
pub fn video_url(value: &Value) -> Option<url::Url> {
    match value {
        Value::String(text) => {
            let url = url::Url::parse(text.trim()).ok()?;
            let path = url.path().to_ascii_lowercase();
            (matches!(url.scheme(), "http" | "https")
                && VIDEO_EXTENSIONS
                    .iter()
                    .any(|extension| path.ends_with(extension)))
            .then_some(url)
        }
        Value::Array(items) => items.iter().find_map(video_url),
        Value::Object(object) => object.values().find_map(video_url),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_found_at_the_top_level_first_then_in_containers() {
        assert_eq!(
            task_id(&json!({"task_id": "t1", "status": "queued"})).as_deref(),
            Some("t1")
        );
        assert_eq!(task_id(&json!({"id": 42})).as_deref(), Some("42"));
        assert_eq!(
            task_id(&json!({"job_id": "j", "request_id": "r"})).as_deref(),
            Some("j")
        );
        assert_eq!(
            task_id(&json!({"data": {"task_id": "d1"}})).as_deref(),
            Some("d1")
        );
        assert_eq!(
            task_id(&json!({"result": {"request_id": "r2"}})).as_deref(),
            Some("r2")
        );
        assert_eq!(task_id(&json!({"task": {"id": "k"}})).as_deref(), Some("k"));
        assert_eq!(
            task_id(&json!({"job": {"job_id": "jj"}, "task": {"id": "k"}})).as_deref(),
            Some("jj")
        );
        assert_eq!(task_id(&json!({"id": "", "status": "ok"})), None);
        assert_eq!(task_id(&json!({"message": "nothing"})), None);
    }

    #[test]
    fn statuses_are_classified_case_insensitively() {
        for done in ["success", "SUCCEEDED", "Completed", "done", "finished"] {
            assert_eq!(
                status(&json!({"status": done})),
                Status::Succeeded,
                "{done}"
            );
        }
        for failed in [
            "error",
            "FAILED",
            "canceled",
            "cancelled",
            "rejected",
            "Timeout",
        ] {
            assert_eq!(
                status(&json!({"state": failed})),
                Status::Failed,
                "{failed}"
            );
        }
        assert_eq!(
            status(&json!({"data": {"job_status": "done"}})),
            Status::Succeeded
        );
        assert_eq!(status(&json!({"status": "processing"})), Status::Pending);
        assert_eq!(status(&json!({})), Status::Pending);
    }

    #[test]
    fn failure_messages_come_from_the_seed_fields() {
        assert_eq!(
            failure_message(&json!({"error_message": "bad prompt"})).as_deref(),
            Some("bad prompt")
        );
        assert_eq!(
            failure_message(&json!({"error": {"message": "nsfw"}})).as_deref(),
            Some("nsfw")
        );
        assert_eq!(
            failure_message(&json!({"data": {"detail": "quota"}})).as_deref(),
            Some("quota")
        );
        assert_eq!(failure_message(&json!({"status": "failed"})), None);
    }

    #[test]
    fn the_first_video_url_at_any_depth_wins() {
        let response = json!({
            "status": "done",
            "preview": "https://cdn.example.com/poster.jpg",
            "data": {"outputs": [{"file": "ftp://x/y.mp4"}, {"file": "https://cdn.example.com/v/clip.MP4?sig=1"}]},
            "alt": "https://cdn.example.com/other.webm"
        });
        assert_eq!(
            video_url(&response).unwrap().as_str(),
            "https://cdn.example.com/v/clip.MP4?sig=1"
        );
        assert!(video_url(&json!({"url": "https://cdn.example.com/page.html"})).is_none());
    }
}
