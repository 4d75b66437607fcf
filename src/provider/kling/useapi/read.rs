//! Reading useapi.net's Kling answers by the bot's rules (useapi_kling.md §7–§9):
//! the task id, the status (numbers or names, at the top, in `task`, in the
//! first work), the final flag, the failure message, the works and the video URL.

use serde_json::Value;

/// Statuses that mean the video is there.
const SUCCESS: [&str; 5] = ["SUCCEED", "SUCCEEDED", "SUCCESS", "DONE", "99"];
/// Statuses that mean it never will be.
const FAILURE: [&str; 12] = [
    "FAILED",
    "ERROR",
    "CANCELLED",
    "CANCELED",
    "REJECTED",
    "53",
    "54",
    "58",
    "6",
    "7",
    "9",
    "50",
];
/// Where a message may be.
const MESSAGE_KEYS: [&str; 5] = ["message", "error", "detail", "failMsg", "fail_message"];

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Still running.
    Pending,
    /// Finished with a video.
    Succeeded,
    /// Finished without one, with the bot's message text.
    Failed(Option<String>),
}

/// The task id of a create answer: `taskId`, else `task.{id,taskId,task_id}`,
/// else `data.{id,taskId,task_id}`.
pub fn task_id(answer: &Value) -> Option<String> {
    let text = |value: &Value| match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    answer.get("taskId").and_then(text).or_else(|| {
        ["task", "data"].iter().find_map(|container| {
            let inner = answer.get(container)?;
            ["id", "taskId", "task_id"]
                .iter()
                .find_map(|key| inner.get(key).and_then(text))
        })
    })
}

/// The first non-empty message of `value` (`message|error|detail|failMsg|fail_message`).
pub fn message(value: &Value) -> Option<String> {
    MESSAGE_KEYS.iter().find_map(|key| match value.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    })
}

/// The works: `works` plus every `history[].works`.
pub fn works(answer: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = list(answer.get("works"));
    for entry in list(answer.get("history")) {
        all.extend(list(entry.get("works")));
    }
    all
}

fn list(value: Option<&Value>) -> Vec<&Value> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().collect())
        .unwrap_or_default()
}

fn normalized(value: &Value) -> Option<String> {
    match value {
        Value::Number(number) => number.as_f64().map(|n| format!("{}", n.trunc() as i64)),
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_uppercase()),
        _ => None,
    }
}

/// The status and the final flag, by the bot's order of places.
pub fn status(answer: &Value) -> Status {
    let works = works(answer);
    let task = answer.get("task");
    let first_work = works.first().copied();
    let status = ["status_name", "status", "state"]
        .iter()
        .find_map(|key| answer.get(key).and_then(normalized))
        .or_else(|| {
            ["status_name", "status", "state"]
                .iter()
                .find_map(|key| task?.get(key).and_then(normalized))
        })
        .or_else(|| {
            ["status_name", "status"]
                .iter()
                .find_map(|key| first_work?.get(key).and_then(normalized))
        });
    let is_final = [Some(answer), task, first_work]
        .iter()
        .flatten()
        .any(|level| {
            ["status_final", "statusFinal"]
                .iter()
                .any(|key| level.get(key).is_some_and(super::params::truthy))
        });
    let status = status.unwrap_or_default();
    if SUCCESS.contains(&status.as_str()) {
        Status::Succeeded
    } else if FAILURE.contains(&status.as_str()) || is_final {
        let message = message(answer)
            .or_else(|| task.and_then(message))
            .or_else(|| works.iter().find_map(|work| message(work)))
            .or_else(|| (!status.is_empty()).then(|| status.clone()));
        Status::Failed(message)
    } else {
        Status::Pending
    }
}

/// The first work's id (`workId|work_id|id`), for the assets download.
pub fn first_work_id(answer: &Value) -> Option<String> {
    let work = *works(answer).first()?;
    ["workId", "work_id", "id"]
        .iter()
        .find_map(|key| match work.get(key)? {
            Value::Number(number) => Some(number.to_string()),
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            _ => None,
        })
}

/// The video URL of a finished answer: `cdnUrl|cdn_url|url|videoUrl`, each
/// work's `resource.{resource,url,cdnUrl,downloadUrl}` then
/// `url|cdnUrl|downloadUrl|videoUrl`, then `task.resource.{resource,url,cdnUrl}`.
pub fn video_url(answer: &Value) -> Option<String> {
    let http = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|url| url.starts_with("http"))
            .map(str::to_owned)
    };
    let first = |value: &Value, keys: &[&str]| keys.iter().find_map(|key| http(value.get(key)));
    first(answer, &["cdnUrl", "cdn_url", "url", "videoUrl"])
        .or_else(|| {
            works(answer).into_iter().find_map(|work| {
                work.get("resource")
                    .and_then(|resource| {
                        first(resource, &["resource", "url", "cdnUrl", "downloadUrl"])
                    })
                    .or_else(|| first(work, &["url", "cdnUrl", "downloadUrl", "videoUrl"]))
            })
        })
        .or_else(|| {
            let resource = answer.get("task")?.get("resource")?;
            first(resource, &["resource", "url", "cdnUrl"])
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn task_ids_from_each_place() {
        assert_eq!(
            task_id(&json!({"task": {"id": 777001, "status": 5}})).as_deref(),
            Some("777001")
        );
        assert_eq!(task_id(&json!({"taskId": "abc"})).as_deref(), Some("abc"));
        assert_eq!(
            task_id(&json!({"data": {"task_id": 9}})).as_deref(),
            Some("9")
        );
        assert_eq!(task_id(&json!({"error": "nope"})), None);
    }

    #[test]
    fn statuses_as_the_bot_reads_them() {
        assert_eq!(
            status(&json!({"task": {"id": 1, "status": 5, "status_name": "processing"}})),
            Status::Pending
        );
        let done = json!({"status": 99, "status_name": "succeed", "status_final": true,
            "works": [{"workId": 555, "status": 99,
                       "resource": {"resource": "https://s21-kling.klingai.com/work555.mp4"}}]});
        assert_eq!(status(&done), Status::Succeeded);
        assert_eq!(first_work_id(&done).as_deref(), Some("555"));
        assert_eq!(
            video_url(&done).as_deref(),
            Some("https://s21-kling.klingai.com/work555.mp4")
        );
        assert_eq!(status(&json!({"status": "SUCCEED"})), Status::Succeeded);
        assert_eq!(
            status(
                &json!({"status": 50, "status_name": "failed", "status_final": true,
                           "task": {"failMsg": "Content moderation failed"}})
            ),
            Status::Failed(Some("Content moderation failed".into()))
        );
        assert_eq!(
            status(&json!({"status": 58})),
            Status::Failed(Some("58".into()))
        );
        assert_eq!(
            status(&json!({"status": "QUEUED", "status_final": true})),
            Status::Failed(Some("QUEUED".into())),
            "final outside the success set is a failure"
        );
        assert_eq!(
            status(&json!({"status": "QUEUED", "statusFinal": 1})),
            Status::Failed(Some("QUEUED".into())),
            "a truthy final flag counts"
        );
        assert_eq!(
            status(&json!({"history": [{"works": [{"status": "DONE"}]}]})),
            Status::Succeeded
        );
    }
}
