//! The request body, by the bot's Vertex provider's rules (veo_vertex.md §3):
//! `{"instances": [{prompt, image?}], "parameters": {…}}`, each known key of
//! the merged params mapped to Veo's name and type; the Gemini API's body
//! leaves out what it refuses (§6).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::messages;
use crate::message::wire::python_json_unicode;
use crate::provider::{GenerationJob, GenerationKind, InputImage, ProviderError};

/// How a source value becomes a parameter.
#[derive(Clone, Copy)]
enum Conversion {
    /// Python's `int()`.
    Integer,
    /// As it is.
    Verbatim,
    /// The bot's boolean rule: a string is true if `true/1/yes/on`, else truthiness.
    Boolean,
}

/// Source keys, the parameter they set, and how.
const MAPPING: [(&[&str], &str, Conversion); 11] = [
    (
        &["duration", "duration_seconds", "durationSeconds"],
        "durationSeconds",
        Conversion::Integer,
    ),
    (
        &["aspect_ratio", "aspectRatio"],
        "aspectRatio",
        Conversion::Verbatim,
    ),
    (&["resolution"], "resolution", Conversion::Verbatim),
    (
        &["sample_count", "sampleCount"],
        "sampleCount",
        Conversion::Integer,
    ),
    (&["seed"], "seed", Conversion::Integer),
    (
        &["negative_prompt", "negativePrompt"],
        "negativePrompt",
        Conversion::Verbatim,
    ),
    (
        &["person_generation", "personGeneration"],
        "personGeneration",
        Conversion::Verbatim,
    ),
    (
        &["storage_uri", "storageUri"],
        "storageUri",
        Conversion::Verbatim,
    ),
    (
        &["resize_mode", "resizeMode"],
        "resizeMode",
        Conversion::Verbatim,
    ),
    (
        &["compression_quality", "compressionQuality"],
        "compressionQuality",
        Conversion::Verbatim,
    ),
    (
        &["enhance_prompt", "enhancePrompt"],
        "enhancePrompt",
        Conversion::Boolean,
    ),
];

/// `generate_audio` is mapped like the others, and defaults to true.
const AUDIO_KEYS: [&str; 2] = ["generate_audio", "generateAudio"];

/// Parameters the Gemini API refuses (or restricts per mode): never sent there.
const NOT_FOR_GEMINI: [&str; 6] = [
    "generateAudio",
    "seed",
    "storageUri",
    "compressionQuality",
    "resizeMode",
    "personGeneration",
];

/// Which API the body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Vertex AI: the bot's body, defaults included.
    Vertex,
    /// The Gemini API: no `generateAudio`, `seed`, … and no defaults.
    Gemini,
}

/// The whole body.
pub fn request(
    job: &GenerationJob,
    image: Option<&InputImage>,
    flavour: Flavour,
) -> Result<Value, ProviderError> {
    Ok(json!({
        "instances": [instance(job, image)],
        "parameters": parameters(&job.params, flavour)?,
    }))
}

/// `{prompt}` (always sent, even empty), plus the image of an image2video
/// request: standard base64 and its type (`input_image_mime_type`, else the
/// downloaded file's, else `image/png`).
fn instance(job: &GenerationJob, image: Option<&InputImage>) -> Value {
    let mut instance = Map::new();
    instance.insert("prompt".into(), json!(job.prompt));
    if job.kind == GenerationKind::ImageToVideo
        && let Some(image) = image
    {
        let mime_type = job
            .params
            .get("input_image_mime_type")
            .and_then(Value::as_str)
            .filter(|mime| !mime.trim().is_empty())
            .or(Some(image.mime_type.as_str()).filter(|mime| !mime.is_empty()))
            .unwrap_or("image/png");
        instance.insert(
            "image".into(),
            json!({"bytesBase64Encoded": STANDARD.encode(&image.bytes), "mimeType": mime_type}),
        );
    }
    Value::Object(instance)
}

/// The parameters: each known key in the params' order (the last of several
/// mapping to one name wins, in the first one's place), nulls and unknown keys
/// dropped; Vertex adds `sampleCount` 1 and `generateAudio` true when absent.
pub fn parameters(params: &Map<String, Value>, flavour: Flavour) -> Result<Value, ProviderError> {
    let mut out = Map::new();
    for (key, value) in params {
        if value.is_null() {
            continue;
        }
        let mapped = MAPPING
            .iter()
            .find(|(sources, _, _)| sources.contains(&key.as_str()))
            .map(|(_, target, conversion)| (*target, *conversion))
            .or_else(|| {
                AUDIO_KEYS
                    .contains(&key.as_str())
                    .then_some(("generateAudio", Conversion::Boolean))
            });
        let Some((target, conversion)) = mapped else {
            continue;
        };
        let converted = match conversion {
            Conversion::Integer => json!(integer(key, value)?),
            Conversion::Verbatim => value.clone(),
            Conversion::Boolean => json!(boolean(value)),
        };
        out.insert(target.to_owned(), converted);
    }
    match flavour {
        Flavour::Vertex => {
            out.entry("sampleCount").or_insert(json!(1));
            out.entry("generateAudio").or_insert(json!(true));
        }
        Flavour::Gemini => out.retain(|key, _| !NOT_FOR_GEMINI.contains(&key.as_str())),
    }
    Ok(Value::Object(out))
}

/// Python's `int()`: a whole number, a float cut toward zero, a bool, or a
/// string holding a whole number (spaces allowed); anything else is refused
/// with the bot's message.
fn integer(key: &str, value: &Value) -> Result<i64, ProviderError> {
    let refused = || ProviderError::fatal(messages::invalid_parameter(key, python_str(value)));
    match value {
        Value::Bool(flag) => Ok(i64::from(*flag)),
        Value::Number(number) => match (number.as_i64(), number.as_f64()) {
            (Some(whole), _) => Ok(whole),
            (None, Some(float)) if float.is_finite() => Ok(float.trunc() as i64),
            _ => Err(refused()),
        },
        Value::String(text) => text.trim().replace('_', "").parse().map_err(|_| refused()),
        _ => Err(refused()),
    }
}

/// The bot's boolean rule.
fn boolean(value: &Value) -> bool {
    match value {
        Value::String(text) => matches!(
            text.trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on"
        ),
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::Array(items) => !items.is_empty(),
        Value::Object(object) => !object.is_empty(),
        Value::Null => false,
    }
}

/// A value as Python's `str()` shows it in the bot's message.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => python_json_unicode(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::OutputTarget;

    fn job(kind: GenerationKind, params: Value) -> GenerationJob {
        GenerationJob {
            task_key: "run-1".into(),
            prompt: "What if the moon were made of glass?".into(),
            model_name: "veo-3.1-fast-generate-preview".into(),
            kind,
            params: params.as_object().cloned().unwrap_or_default(),
            output: OutputTarget {
                dir: "/tmp".into(),
                stem: "run-1".into(),
            },
        }
    }

    /// The veo3-fast defaults (0003 then 0007) under the handler's params.
    fn veo3_fast(aspect: &str) -> Value {
        json!({"duration": 8, "resolution": "720p", "fps": 24, "aspect_ratio": aspect,
               "mode": "text2video"})
    }

    #[test]
    fn every_veo3_fast_job_sends_what_the_bot_sends() {
        let body = request(
            &job(GenerationKind::TextToVideo, veo3_fast("9:16")),
            None,
            Flavour::Vertex,
        )
        .unwrap();
        assert_eq!(
            body.to_string(),
            r#"{"instances":[{"prompt":"What if the moon were made of glass?"}],"parameters":{"durationSeconds":8,"resolution":"720p","aspectRatio":"9:16","sampleCount":1,"generateAudio":true}}"#
        );
    }

    #[test]
    fn the_gemini_body_leaves_out_what_that_api_refuses() {
        let params = json!({"duration": "6", "aspect_ratio": "16:9", "resolution": "720p",
            "seed": 5, "generate_audio": true, "person_generation": "allow_all",
            "storage_uri": "gs://b/", "negative_prompt": "blur", "enhance_prompt": "yes"});
        let body = parameters(params.as_object().unwrap(), Flavour::Gemini).unwrap();
        assert_eq!(
            body,
            json!({"durationSeconds": 6, "aspectRatio": "16:9", "resolution": "720p",
                   "negativePrompt": "blur", "enhancePrompt": true})
        );
    }

    #[test]
    fn keys_map_by_the_bots_table_the_last_one_wins_and_nulls_drop() {
        let params = json!({"duration": 8.9, "durationSeconds": "5", "aspectRatio": "16:9",
            "sample_count": 2, "seed": true, "negativePrompt": "n", "personGeneration": "allow_adult",
            "storageUri": "gs://b/p/", "resize_mode": "pad", "compressionQuality": "optimized",
            "enhancePrompt": "OFF", "generateAudio": 0, "fps": 30, "quality": "high",
            "input_image_file_id": "f", "resolution": null});
        let body = parameters(params.as_object().unwrap(), Flavour::Vertex).unwrap();
        assert_eq!(
            body.to_string(),
            r#"{"durationSeconds":5,"aspectRatio":"16:9","sampleCount":2,"seed":1,"negativePrompt":"n","personGeneration":"allow_adult","storageUri":"gs://b/p/","resizeMode":"pad","compressionQuality":"optimized","enhancePrompt":false,"generateAudio":false}"#
        );
        let params = json!({"duration": 8.9});
        assert_eq!(
            parameters(params.as_object().unwrap(), Flavour::Vertex).unwrap()["durationSeconds"],
            8
        );
    }

    #[test]
    fn a_value_int_refuses_is_the_bots_message() {
        for (value, shown) in [
            (json!("8s"), "8s"),
            (json!("8.0"), "8.0"),
            (json!([8]), "[8]"),
        ] {
            let mut params = Map::new();
            params.insert("duration".into(), value);
            match parameters(&params, Flavour::Vertex) {
                Err(ProviderError::Fatal(message)) => assert_eq!(
                    message.ru,
                    format!("Некорректное значение параметра 'duration': {shown}")
                ),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn image2video_sends_the_image_with_its_type() {
        let image = InputImage {
            bytes: vec![0xff, 0xd8, 0xff],
            mime_type: "image/jpeg".into(),
            source_url: None,
        };
        let i2v = job(GenerationKind::ImageToVideo, json!({}));
        assert_eq!(
            instance(&i2v, Some(&image))["image"],
            json!({"bytesBase64Encoded": "/9j/", "mimeType": "image/jpeg"})
        );
        let typed = job(
            GenerationKind::ImageToVideo,
            json!({"input_image_mime_type": "video/mp4"}),
        );
        assert_eq!(
            instance(&typed, Some(&image))["image"]["mimeType"],
            "video/mp4"
        );
        let untyped = InputImage {
            bytes: vec![1],
            mime_type: String::new(),
            source_url: None,
        };
        assert_eq!(
            instance(&i2v, Some(&untyped))["image"]["mimeType"],
            "image/png"
        );
        let t2v = job(GenerationKind::TextToVideo, json!({}));
        assert!(instance(&t2v, Some(&image)).get("image").is_none());
        assert_eq!(instance(&i2v, None), json!({"prompt": i2v.prompt}));
    }
}
