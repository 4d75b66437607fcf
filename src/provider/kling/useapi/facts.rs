//! What a finished useapi.net task says the video is, as the bot reads it
//! (useapi_kling.md §9): the duration from the task's arguments, else the
//! work's length, else what was asked; text2video's aspect ratio from the
//! arguments, else the request's; the resolution from the work's size.

use serde_json::{Map, Value};

use super::body::sent_seconds;
use super::endpoint::Endpoint;
use super::params::{as_text, float, param, truthy};
use super::read::works;
use crate::provider::{GenerationJob, Reported};

/// The duration, aspect ratio and resolution of a finished task's answer.
pub fn reported(job: &GenerationJob, answer: &Value) -> Reported {
    let endpoint = Endpoint::of(job);
    let works = works(answer);
    let arguments = task_info(answer)
        .or_else(|| works.iter().find_map(|work| task_info(work)))
        .map(arguments)
        .unwrap_or_default();
    let argument = |keys: &[&str]| param(&arguments, keys).cloned();
    let resource = works.first().and_then(|work| work.get("resource"));
    let duration = argument(&["duration", "seconds"])
        .as_ref()
        .and_then(float)
        .or_else(|| {
            let milliseconds = float(resource?.get("duration")?)?;
            Some(milliseconds / 1000.0)
        })
        .map(|seconds| seconds.trunc() as i64)
        .filter(|seconds| *seconds != 0)
        .unwrap_or_else(|| sent_seconds(&job.params, endpoint));
    // Only text2video's result carries one (image2video's and omni's say None).
    let aspect_ratio = (endpoint == Endpoint::TextToVideo)
        .then(|| {
            argument(&["aspect_ratio", "aspectRatio", "ratio"]).or_else(|| {
                job.params
                    .get("aspect_ratio")
                    .filter(|value| truthy(value))
                    .cloned()
            })
        })
        .flatten()
        .map(|value| as_text(&value));
    let resolution = resource.and_then(|resource| {
        let side = |key| float(resource.get(key)?).map(|value| value.trunc() as i64);
        Some(format!("{}x{}", side("width")?, side("height")?))
    });
    Reported {
        duration: i32::try_from(duration).ok(),
        resolution,
        aspect_ratio,
    }
}

/// `taskInfo|task_info` of the answer's task (or of a work).
fn task_info(level: &Value) -> Option<&Value> {
    let holder = level.get("task").unwrap_or(level);
    ["taskInfo", "task_info"]
        .iter()
        .find_map(|key| holder.get(key).filter(|value| value.is_object()))
}

/// The task's arguments: a list of `{name, value}` (or an object) as one map.
fn arguments(info: &Value) -> Map<String, Value> {
    match info.get("arguments") {
        Some(Value::Array(entries)) => entries
            .iter()
            .filter_map(|entry| {
                let name = entry.get("name")?.as_str()?;
                Some((name.to_owned(), entry.get("value")?.clone()))
            })
            .collect(),
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::GenerationKind;
    use crate::provider::kling::useapi::test_job as job;
    use serde_json::json;

    #[test]
    fn the_captured_answer() {
        let answer = json!({"status": 99, "status_name": "succeed", "status_final": true,
            "task": {"id": 777001, "taskInfo": {"arguments": [
                {"name": "duration", "value": "5"}, {"name": "aspect_ratio", "value": "16:9"}]}},
            "works": [{"workId": 555, "status": 99, "resource":
                {"resource": "https://s21-kling.klingai.com/work555.mp4",
                 "duration": 5100, "width": 1280, "height": 720}}]});
        let text = job(
            "kling-v2-6",
            GenerationKind::TextToVideo,
            json!({"duration": 10}),
        );
        assert_eq!(
            reported(&text, &answer),
            Reported {
                duration: Some(5),
                resolution: Some("1280x720".into()),
                aspect_ratio: Some("16:9".into()),
            }
        );
    }

    #[test]
    fn the_fallbacks() {
        let works_only =
            json!({"works": [{"resource": {"duration": 10400, "width": 720, "height": 1280}}]});
        let frames = job(
            "kling-v2-1",
            GenerationKind::ImageToVideo,
            json!({"aspect_ratio": "9:16"}),
        );
        assert_eq!(
            reported(&frames, &works_only),
            Reported {
                duration: Some(10),
                resolution: Some("720x1280".into()),
                aspect_ratio: None,
            },
            "the work's milliseconds; image2video gives no aspect of its own"
        );
        let text = job(
            "kling-v2-1",
            GenerationKind::TextToVideo,
            json!({"duration": 7, "aspect_ratio": "1:1"}),
        );
        assert_eq!(
            reported(&text, &json!({"status": "SUCCEED"})),
            Reported {
                duration: Some(5),
                resolution: None,
                aspect_ratio: Some("1:1".into()),
            },
            "what was sent, and text2video's own aspect ratio"
        );
        let with_arguments = json!({"task": {"taskInfo": {"arguments": [
            {"name": "aspect_ratio", "value": "16:9"}]}}});
        assert_eq!(
            reported(&frames, &with_arguments).aspect_ratio,
            None,
            "only text2video reports one"
        );
        let omni = job(
            "kling-o1",
            GenerationKind::TextToVideo,
            json!({"duration": 12}),
        );
        let work_info = json!({"works": [{"taskInfo": {"arguments": {"seconds": "8"}}}]});
        assert_eq!(reported(&omni, &work_info).duration, Some(8));
        assert_eq!(reported(&omni, &json!({})).duration, Some(10));
    }
}
