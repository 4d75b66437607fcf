//! The useapi.net create bodies, by the bot's rules (useapi_kling.md §5–§6):
//! the endpoint from the model and the mode, the model name normalised, the
//! duration as a string, `maxJobs`, the account email, and each endpoint's own
//! fields.

use serde_json::{Map, Value, json};

use super::endpoint::Endpoint;
use super::endpoint::normalize_model;
use super::params::{as_text, float, param};
use crate::provider::GenerationJob;

/// What a body is built from besides the job.
pub struct Extras<'a> {
    /// The account's `maxJobs` setting.
    pub max_jobs: u32,
    /// The account email, when set.
    pub email: Option<&'a str>,
    /// The media URLs, each under its body key.
    pub media: Media,
}

/// A create's media: `(body key, URL)` in the order the bot adds them
/// (`image`, `image_tail`; omni's `image_<i>` and `video_1`).
#[derive(Debug, Default)]
pub struct Media {
    /// The URLs, each under its key.
    pub frames: Vec<(&'static str, String)>,
}

impl Media {
    fn has(&self, key: &str) -> bool {
        self.frames.iter().any(|(name, _)| *name == key)
    }
}

fn max_jobs(params: &Map<String, Value>, setting: u32) -> u32 {
    match param(params, &["maxJobs", "max_jobs"]) {
        Some(value) => crate::settings::sanitize_max_jobs(Some(&as_text(value))),
        None => setting,
    }
}

/// The duration a create sends, in seconds: omni's clamped to 3..10 (5 when
/// unreadable), the others' 10 from ten seconds up, else 5.
pub fn sent_seconds(params: &Map<String, Value>, endpoint: Endpoint) -> i64 {
    let asked = param(params, &["duration", "seconds"])
        .and_then(float)
        .map(f64::trunc);
    match endpoint {
        Endpoint::Omni => asked.map_or(5, |secs| (secs as i64).clamp(3, 10)),
        Endpoint::TextToVideo | Endpoint::ImageFrames => {
            if asked.unwrap_or(0.0) >= 10.0 {
                10
            } else {
                5
            }
        }
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
    body.insert(
        "duration".into(),
        json!(sent_seconds(params, endpoint).to_string()),
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
    if endpoint == Endpoint::ImageFrames && extras.media.has("image_tail") {
        body.insert("mode".into(), json!("pro"));
    }
    if endpoint == Endpoint::TextToVideo
        && let Some(aspect) = param(params, &["aspect_ratio", "aspectRatio", "ratio"])
    {
        body.insert("aspect_ratio".into(), json!(as_text(aspect)));
    }
    if endpoint == Endpoint::ImageFrames {
        for (key, url) in &extras.media.frames {
            body.insert((*key).into(), json!(url));
        }
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
    body.insert(
        "duration".into(),
        json!(sent_seconds(params, Endpoint::Omni).to_string()),
    );
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
    for (key, url) in &extras.media.frames {
        body.insert((*key).into(), json!(url));
    }
    if extras.media.has("video_1") {
        body.insert("aspect_ratio".into(), json!("auto"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::GenerationKind;
    use crate::provider::kling::useapi::test_job as job;

    fn extras(media: &[(&'static str, &str)]) -> Extras<'static> {
        Extras {
            max_jobs: 5,
            email: Some("acc@example.com"),
            media: Media {
                frames: media
                    .iter()
                    .map(|(key, url)| (*key, (*url).to_owned()))
                    .collect(),
            },
        }
    }

    #[test]
    fn the_captured_bodies() {
        let one = job(
            "kling-v2-6",
            GenerationKind::TextToVideo,
            json!({"aspect_ratio": "16:9", "duration": 5, "mode": "std", "cfg_scale": 0.5}),
        );
        assert_eq!(
            create_body(&one, Endpoint::TextToVideo, &extras(&[])).to_string(),
            r#"{"prompt":"A fox in snow","duration":"5","model_name":"kling-v2-6","maxJobs":5,"email":"acc@example.com","mode":"std","aspect_ratio":"16:9"}"#
        );
        let two = job(
            "kling-v2-5",
            GenerationKind::TextToVideo,
            json!({"aspect_ratio": "9:16", "duration": 10, "mode": "pro", "negative_prompt": "blur", "cfg_scale": 0.7}),
        );
        assert_eq!(
            create_body(&two, Endpoint::TextToVideo, &extras(&[])).to_string(),
            r#"{"prompt":"A fox in snow","duration":"10","model_name":"kling-v2-5","maxJobs":5,"email":"acc@example.com","aspect_ratio":"9:16"}"#
        );
        let three = job(
            "kling-v2-1",
            GenerationKind::TextToVideo,
            json!({"duration": 7, "mode": "text2video", "enable_audio": true, "aspect_ratio": "16:9"}),
        );
        assert_eq!(
            create_body(&three, Endpoint::TextToVideo, &extras(&[])).to_string(),
            r#"{"prompt":"A fox in snow","duration":"5","model_name":"kling-v2-1","maxJobs":5,"email":"acc@example.com","aspect_ratio":"16:9","enable_audio":true}"#
        );
        let five = job(
            "kling-o1",
            GenerationKind::ImageToVideo,
            json!({"duration": 12}),
        );
        assert_eq!(
            create_body(
                &five,
                Endpoint::Omni,
                &extras(&[("image_1", "https://a/1.png")])
            )
            .to_string(),
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
            &extras(&[("image", "https://a/1.png")]),
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
        let four = job(
            "kling-v2-1",
            GenerationKind::ImageToVideo,
            json!({"image_url": "https://x/1.png", "image_tail": "https://x/2.png"}),
        );
        assert_eq!(
            create_body(
                &four,
                Endpoint::ImageFrames,
                &extras(&[("image", "https://a/1"), ("image_tail", "https://a/2")])
            )
            .to_string()
            .replace("A fox in snow", "Walk"),
            r#"{"prompt":"Walk","duration":"5","model_name":"kling-v2-1","maxJobs":5,"email":"acc@example.com","mode":"pro","image":"https://a/1","image_tail":"https://a/2"}"#,
            "the captured body: an end frame forces mode pro"
        );
        let master = job(
            "kling-v2-1-master",
            GenerationKind::ImageToVideo,
            json!({"mode": "std"}),
        );
        let body = create_body(
            &master,
            Endpoint::ImageFrames,
            &extras(&[("image", "https://a/1"), ("image_tail", "https://a/2")]),
        );
        assert_eq!(body["mode"], "pro", "forced even where mode is never sent");
        let references = job(
            "kling-o1",
            GenerationKind::TextToVideo,
            json!({"aspect_ratio": "9:16"}),
        );
        let body = create_body(
            &references,
            Endpoint::Omni,
            &extras(&[
                ("image_2", "https://a/2"),
                ("image_1", "https://a/1"),
                ("video_1", "https://a/v"),
            ]),
        );
        assert_eq!(
            body.to_string(),
            r#"{"prompt":"A fox in snow","duration":"5","aspect_ratio":"auto","omni_version":"o1","email":"acc@example.com","maxJobs":5,"image_2":"https://a/2","image_1":"https://a/1","video_1":"https://a/v"}"#,
            "a reference video forces aspect_ratio auto, in its place"
        );
        let old = job(
            "kling-v1-6",
            GenerationKind::TextToVideo,
            json!({"cfg_scale": 3, "maxJobs": 99}),
        );
        let body = create_body(&old, Endpoint::TextToVideo, &extras(&[]));
        assert_eq!(body["cfg_scale"], 1.0);
        assert_eq!(body["maxJobs"], 50);
        let falsy = job(
            "kling-v1-6",
            GenerationKind::TextToVideo,
            json!({"duration": 0, "seconds": 10, "maxJobs": 0, "cfg_scale": 0.125, "model_name": ""}),
        );
        let body = create_body(&falsy, Endpoint::TextToVideo, &extras(&[]));
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
            create_body(&omni, Endpoint::Omni, &extras(&[]))["omni_version"],
            "o1"
        );
    }
}
