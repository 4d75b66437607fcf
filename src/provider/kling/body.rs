//! The generic style's create request body, by the seed's rules.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::mode::quality_mode;
use crate::provider::{GenerationJob, GenerationKind, InputImage};

/// Sent at the top level of the body as they are.
const TOP_LEVEL: [&str; 20] = [
    "duration",
    "seconds",
    "resolution",
    "quality",
    "aspect_ratio",
    "ratio",
    "fps",
    "frame_rate",
    "enable_audio",
    "audio",
    "soundtrack",
    "style",
    "style_reference",
    "camera",
    "camera_motion",
    "motion",
    "guidance_scale",
    "cfg_scale",
    "seed",
    "negative_prompt",
];

/// The bot's own bookkeeping, never sent.
const SERVICE_KEYS: [&str; 6] = [
    "input_image_file_id",
    "input_image_mime_type",
    "telegram_file_id",
    "parent_request_id",
    "extend_parent_request_id",
    "mode",
];

/// Merged into `parameters` as they are.
const OPTIONS_KEY: &str = "kling_options";

/// `{prompt, model, mode, <known keys>, parameters?, reference_image?, reference_image_mime_type?}`:
/// `mode` is the generation type; a quality mode (`std`/`pro`, [`super::mode`]) goes
/// into `parameters` as `mode`, where `kling_options` may still override it.
pub fn create_body(job: &GenerationJob, image: Option<&InputImage>) -> Value {
    let mut body = Map::new();
    body.insert("prompt".into(), json!(job.prompt));
    body.insert("model".into(), json!(job.model_name));
    body.insert("mode".into(), json!(job.kind.as_str()));
    let mut parameters = Map::new();
    if let Some(quality) = quality_mode(&job.params) {
        parameters.insert("mode".into(), json!(quality));
    }
    let mut options = None;
    for (key, value) in &job.params {
        if value.is_null() || SERVICE_KEYS.contains(&key.as_str()) {
            continue;
        }
        if key == OPTIONS_KEY && value.is_object() {
            options = value.as_object();
        } else if TOP_LEVEL.contains(&key.as_str()) {
            body.insert(key.clone(), value.clone());
        } else {
            parameters.insert(key.clone(), value.clone());
        }
    }
    // kling_options come last, so they win over a loose key of the same name.
    if let Some(options) = options {
        parameters.extend(
            options
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    if !parameters.is_empty() {
        body.insert("parameters".into(), Value::Object(parameters));
    }
    if job.kind == GenerationKind::ImageToVideo
        && let Some(image) = image
    {
        body.insert(
            "reference_image".into(),
            json!(STANDARD.encode(&image.bytes)),
        );
        body.insert("reference_image_mime_type".into(), json!(image.mime_type));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{InputImage, OutputTarget};

    fn job(kind: GenerationKind, params: Value) -> GenerationJob {
        GenerationJob {
            task_key: "run-1".into(),
            prompt: "a cat".into(),
            model_name: "kling-v1".into(),
            kind,
            params: params.as_object().cloned().unwrap_or_default(),
            output: OutputTarget {
                dir: "/tmp".into(),
                stem: "run-1".into(),
            },
        }
    }

    #[test]
    fn known_keys_go_top_level_service_keys_are_dropped_the_rest_into_parameters() {
        let body = create_body(
            &job(
                GenerationKind::TextToVideo,
                json!({
                    "duration": 12, "resolution": "720p", "aspect_ratio": "9:16", "enable_audio": false,
                    "cfg_scale": 1.2, "seed": 42, "negative_prompt": "blur", "fps": 24,
                    "mode": "text2video", "input_image_file_id": "f", "telegram_file_id": "t",
                    "parent_request_id": 1, "extend_parent_request_id": 2, "input_image_mime_type": "image/png",
                    "kling_options": {"style": "anime", "motion": "dolly-in", "camera": "handheld"},
                    "watermark": false, "nothing": null
                }),
            ),
            None,
        );
        assert_eq!(
            body,
            json!({
                "prompt": "a cat", "model": "kling-v1", "mode": "text2video",
                "duration": 12, "resolution": "720p", "aspect_ratio": "9:16", "enable_audio": false,
                "cfg_scale": 1.2, "seed": 42, "negative_prompt": "blur", "fps": 24,
                "parameters": {"watermark": false, "style": "anime", "motion": "dolly-in", "camera": "handheld"}
            })
        );
    }

    #[test]
    fn kling_options_are_merged_unchanged_and_parameters_left_out_when_empty() {
        let body = create_body(
            &job(
                GenerationKind::TextToVideo,
                json!({"kling_options": {"style": "cinematic", "seed": 42}}),
            ),
            None,
        );
        assert_eq!(
            body["parameters"],
            json!({"style": "cinematic", "seed": 42})
        );
        let body = create_body(
            &job(GenerationKind::TextToVideo, json!({"mode": "text2video"})),
            None,
        );
        assert!(body.get("parameters").is_none());
        assert_eq!(
            body,
            json!({"prompt": "a cat", "model": "kling-v1", "mode": "text2video"})
        );
    }

    #[test]
    fn a_quality_mode_goes_into_parameters_and_kling_options_still_win() {
        let body = create_body(
            &job(GenerationKind::TextToVideo, json!({"mode": "pro"})),
            None,
        );
        assert_eq!(body["mode"], "text2video");
        assert_eq!(body["parameters"], json!({"mode": "pro"}));
        let body = create_body(
            &job(
                GenerationKind::TextToVideo,
                json!({"mode": "std", "kling_options": {"mode": "pro"}}),
            ),
            None,
        );
        assert_eq!(body["parameters"], json!({"mode": "pro"}));
    }

    #[test]
    fn image2video_adds_the_reference_image() {
        let job = job(
            GenerationKind::ImageToVideo,
            json!({"input_image_file_id": "f"}),
        );
        let image = InputImage {
            bytes: vec![1, 2, 3],
            mime_type: "image/png".into(),
            source_url: None,
        };
        let body = create_body(&job, Some(&image));
        assert_eq!(body["mode"], "image2video");
        assert_eq!(body["reference_image"], "AQID");
        assert_eq!(body["reference_image_mime_type"], "image/png");
        assert!(body.get("input_image_file_id").is_none());
    }
}
