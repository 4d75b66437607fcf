//! The useapi.net create bodies, by the bot's rules (useapi_kling.md §5–§6):
//! the endpoint from the model and the mode, the model name normalised, the
//! duration as a string, `maxJobs`, the account email, and each endpoint's own
//! fields.

use serde_json::{Map, Value, json};

use crate::provider::{GenerationJob, GenerationKind};

/// Which create endpoint a job goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/kling/videos/text2video`.
    TextToVideo,
    /// `/v1/kling/videos/image2video-frames`.
    ImageFrames,
    /// `/v1/kling/videos/omni` (Kling O1, any generation type).
    Omni,
}

impl Endpoint {
    /// The endpoint for this job: omni when the model is an O1, else by type.
    pub fn of(job: &GenerationJob) -> Self {
        if normalize_model(&job.model_name).contains("o1") {
            Self::Omni
        } else {
            match job.kind {
                GenerationKind::ImageToVideo => Self::ImageFrames,
                GenerationKind::TextToVideo => Self::TextToVideo,
            }
        }
    }

    /// Its path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::TextToVideo => "/v1/kling/videos/text2video",
            Self::ImageFrames => "/v1/kling/videos/image2video-frames",
            Self::Omni => "/v1/kling/videos/omni",
        }
    }
}

/// The bot's `_normalize_model_name`.
pub fn normalize_model(name: &str) -> String {
    let value = name.trim().to_lowercase().replace('_', "-");
    if value.contains("v2-6") {
        "kling-v2-6".into()
    } else if value.contains("v2-5") {
        "kling-v2-5".into()
    } else if value.contains("v2-1") && value.contains("master") {
        "kling-v2-1-master".into()
    } else if value.contains("v2-1") {
        "kling-v2-1".into()
    } else if value.contains("v1-6") {
        "kling-v1-6".into()
    } else if value.contains("v1-5") {
        "kling-v1-5".into()
    } else if value.starts_with("kling") {
        value
    } else {
        format!("kling-{value}")
    }
}

/// What a body is built from besides the job.
pub struct Extras<'a> {
    /// The account's `maxJobs` setting.
    pub max_jobs: u32,
    /// The account email, when set.
    pub email: Option<&'a str>,
    /// The start frame (image2video) or `image_1` (omni) URL, when there is one.
    pub image: Option<String>,
}

/// The first of `keys` with a truthy value, as the bot's `a or b or c` takes
/// it (null, `""`, `0`, `false` and empty collections fall through).
fn param<'a>(params: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|key| params.get(*key).filter(|value| truthy(value)))
}

/// Python's truth value of a JSON value.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(object) => !object.is_empty(),
    }
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn max_jobs(params: &Map<String, Value>, setting: u32) -> u32 {
    match param(params, &["maxJobs", "max_jobs"]) {
        Some(value) => crate::settings::sanitize_max_jobs(Some(&as_text(value))),
        None => setting,
    }
}

/// The body for `endpoint`.
pub fn create_body(job: &GenerationJob, endpoint: Endpoint, extras: &Extras<'_>) -> Value {
    match endpoint {
        Endpoint::Omni => omni(job, extras),
        Endpoint::TextToVideo | Endpoint::ImageFrames => frames(job, endpoint, extras),
    }
}

fn frames(job: &GenerationJob, endpoint: Endpoint, extras: &Extras<'_>) -> Value {
    let params = &job.params;
    let mut body = Map::new();
    body.insert("prompt".into(), json!(job.prompt));
    let seconds = param(params, &["duration", "seconds"])
        .and_then(float)
        .map_or(0, |secs| secs.trunc() as i64);
    body.insert(
        "duration".into(),
        json!(if seconds >= 10 { "10" } else { "5" }),
    );
    let model = normalize_model(
        &param(params, &["model_name", "model"])
            .map(as_text)
            .unwrap_or_else(|| job.model_name.clone()),
    );
    body.insert("model_name".into(), json!(model));
    body.insert("maxJobs".into(), json!(max_jobs(params, extras.max_jobs)));
    if let Some(email) = extras.email {
        body.insert("email".into(), json!(email));
    }
    for (target, keys) in [
        ("replyUrl", ["replyUrl", "reply_url"]),
        ("replyRef", ["replyRef", "reply_ref"]),
    ] {
        if let Some(value) = param(params, &keys) {
            body.insert(target.into(), value.clone());
        }
    }
    let quality = param(params, &["mode"])
        .and_then(Value::as_str)
        .map(|mode| mode.trim().to_lowercase())
        .filter(|mode| matches!(mode.as_str(), "std" | "pro"));
    if let Some(quality) = quality
        && model != "kling-v2-1-master"
        && model != "kling-v2-5"
    {
        body.insert("mode".into(), json!(quality));
    }
    if endpoint == Endpoint::TextToVideo
        && let Some(aspect) = param(params, &["aspect_ratio", "aspectRatio", "ratio"])
    {
        body.insert("aspect_ratio".into(), json!(as_text(aspect)));
    }
    if endpoint == Endpoint::ImageFrames
        && let Some(image) = &extras.image
    {
        body.insert("image".into(), json!(image));
    }
    if !model.starts_with("kling-v2-")
        && let Some(scale) = param(params, &["cfg_scale"]).and_then(float)
    {
        body.insert(
            "cfg_scale".into(),
            json!((scale.clamp(0.0, 1.0) * 100.0).round_ties_even() / 100.0),
        );
    }
    if endpoint == Endpoint::TextToVideo
        && !model.contains("v2-5")
        && let Some(negative) = param(params, &["negative_prompt", "negativePrompt"])
    {
        body.insert("negative_prompt".into(), negative.clone());
    }
    if let Some(audio) = params
        .get("enable_audio")
        .filter(|value| value.is_boolean())
    {
        body.insert("enable_audio".into(), audio.clone());
    }
    Value::Object(body)
}

fn omni(job: &GenerationJob, extras: &Extras<'_>) -> Value {
    let params = &job.params;
    let mut body = Map::new();
    body.insert("prompt".into(), json!(job.prompt));
    let seconds = param(params, &["duration", "seconds"])
        .and_then(float)
        .map_or(5, |secs| (secs.trunc() as i64).clamp(3, 10));
    body.insert("duration".into(), json!(seconds.to_string()));
    let aspect = param(params, &["aspect_ratio", "aspectRatio", "ratio"])
        .map_or_else(|| "16:9".to_owned(), as_text);
    if matches!(aspect.as_str(), "16:9" | "9:16" | "1:1" | "auto") {
        body.insert("aspect_ratio".into(), json!(aspect));
    }
    let version = param(params, &["omni_version"]).map_or_else(|| "o1".to_owned(), as_text);
    body.insert("omni_version".into(), json!(version));
    if let Some(email) = extras.email {
        body.insert("email".into(), json!(email));
    }
    body.insert("maxJobs".into(), json!(max_jobs(params, extras.max_jobs)));
    if let Some(image) = &extras.image {
        body.insert("image_1".into(), json!(image));
    }
    for (target, keys) in [
        ("replyUrl", ["replyUrl", "reply_url"]),
        ("replyRef", ["replyRef", "reply_ref"]),
    ] {
        if let Some(value) = param(params, &keys) {
            body.insert(target.into(), value.clone());
        }
    }
    Value::Object(body)
}

/// A URL the bot sends as it is (useapi.net's or Kling's own), not re-uploaded.
pub fn hosted_by_kling(url: &str) -> bool {
    url.contains("useapi.net") || url.contains("klingai.com")
}

/// The start frame URL a request's params name (`image_url|imageUrl|reference_image`).
pub fn image_param(params: &Map<String, Value>, omni: bool) -> Option<String> {
    let keys: &[&str] = if omni {
        &["image_1", "image1"]
    } else {
        &["image_url", "imageUrl", "reference_image"]
    };
    param(params, keys)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::OutputTarget;

    fn job(model: &str, kind: GenerationKind, params: Value) -> GenerationJob {
        GenerationJob {
            task_key: "run".into(),
            prompt: "A fox in snow".into(),
            model_name: model.into(),
            kind,
            params: params.as_object().cloned().unwrap_or_default(),
            output: OutputTarget {
                dir: "/tmp".into(),
                stem: "run".into(),
            },
        }
    }

    fn extras(image: Option<&str>) -> Extras<'static> {
        Extras {
            max_jobs: 5,
            email: Some("acc@example.com"),
            image: image.map(str::to_owned),
        }
    }

    #[test]
    fn model_names_and_endpoints_as_the_bot_maps_them() {
        for (given, normalized) in [
            ("kling-v2-5-turbo", "kling-v2-5"),
            ("kling-v2-6-pro-with-sound", "kling-v2-6"),
            ("kling-v2-1-master", "kling-v2-1-master"),
            ("kling-v2-1-pro", "kling-v2-1"),
            ("kling_O1", "kling-o1"),
            ("v1-6", "kling-v1-6"),
            ("custom", "kling-custom"),
        ] {
            assert_eq!(normalize_model(given), normalized, "{given}");
        }
        let omni = job("kling-o1", GenerationKind::TextToVideo, json!({}));
        assert_eq!(Endpoint::of(&omni), Endpoint::Omni);
        let frames = job("kling-v2-1", GenerationKind::ImageToVideo, json!({}));
        assert_eq!(
            Endpoint::of(&frames).path(),
            "/v1/kling/videos/image2video-frames"
        );
    }

    #[test]
    fn the_captured_bodies() {
        let one = job(
            "kling-v2-6",
            GenerationKind::TextToVideo,
            json!({"aspect_ratio": "16:9", "duration": 5, "mode": "std", "cfg_scale": 0.5}),
        );
        assert_eq!(
            create_body(&one, Endpoint::TextToVideo, &extras(None)).to_string(),
            r#"{"prompt":"A fox in snow","duration":"5","model_name":"kling-v2-6","maxJobs":5,"email":"acc@example.com","mode":"std","aspect_ratio":"16:9"}"#
        );
        let two = job(
            "kling-v2-5",
            GenerationKind::TextToVideo,
            json!({"aspect_ratio": "9:16", "duration": 10, "mode": "pro", "negative_prompt": "blur", "cfg_scale": 0.7}),
        );
        assert_eq!(
            create_body(&two, Endpoint::TextToVideo, &extras(None)).to_string(),
            r#"{"prompt":"A fox in snow","duration":"10","model_name":"kling-v2-5","maxJobs":5,"email":"acc@example.com","aspect_ratio":"9:16"}"#
        );
        let three = job(
            "kling-v2-1",
            GenerationKind::TextToVideo,
            json!({"duration": 7, "mode": "text2video", "enable_audio": true, "aspect_ratio": "16:9"}),
        );
        assert_eq!(
            create_body(&three, Endpoint::TextToVideo, &extras(None)).to_string(),
            r#"{"prompt":"A fox in snow","duration":"5","model_name":"kling-v2-1","maxJobs":5,"email":"acc@example.com","aspect_ratio":"16:9","enable_audio":true}"#
        );
        let five = job(
            "kling-o1",
            GenerationKind::ImageToVideo,
            json!({"duration": 12}),
        );
        assert_eq!(
            create_body(&five, Endpoint::Omni, &extras(Some("https://a/1.png"))).to_string(),
            r#"{"prompt":"A fox in snow","duration":"10","aspect_ratio":"16:9","omni_version":"o1","email":"acc@example.com","maxJobs":5,"image_1":"https://a/1.png"}"#
        );
        let frames = job(
            "kling-v2-1",
            GenerationKind::ImageToVideo,
            json!({"aspect_ratio": "9:16", "cfg_scale": 3}),
        );
        let body = create_body(
            &frames,
            Endpoint::ImageFrames,
            &extras(Some("https://a/1.png")),
        );
        assert_eq!(body["image"], "https://a/1.png");
        assert!(
            body.get("aspect_ratio").is_none(),
            "no aspect ratio on frames"
        );
        assert!(
            body.get("cfg_scale").is_none(),
            "v2 models take no cfg_scale"
        );
        let old = job(
            "kling-v1-6",
            GenerationKind::TextToVideo,
            json!({"cfg_scale": 3, "maxJobs": 99}),
        );
        let body = create_body(&old, Endpoint::TextToVideo, &extras(None));
        assert_eq!(body["cfg_scale"], 1.0);
        assert_eq!(body["maxJobs"], 50);
        let falsy = job(
            "kling-v1-6",
            GenerationKind::TextToVideo,
            json!({"duration": 0, "seconds": 10, "maxJobs": 0, "cfg_scale": 0.125, "model_name": ""}),
        );
        let body = create_body(&falsy, Endpoint::TextToVideo, &extras(None));
        assert_eq!(
            body["duration"], "10",
            "a falsy duration falls through to seconds"
        );
        assert_eq!(body["maxJobs"], 5, "a falsy maxJobs is the setting");
        assert_eq!(body["model_name"], "kling-v1-6");
        assert_eq!(body["cfg_scale"], 0.12, "Python rounds halves to even");
        let omni = job(
            "kling-o1",
            GenerationKind::TextToVideo,
            json!({"omni_version": ""}),
        );
        assert_eq!(
            create_body(&omni, Endpoint::Omni, &extras(None))["omni_version"],
            "o1"
        );
    }
}
