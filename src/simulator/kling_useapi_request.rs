//! Kling through useapi.net: what a create body must hold, per endpoint.
//! The messages are the simulator's own (useapi.net's wording is not known).

use serde_json::{Map, Value};

/// The create endpoints, `/v1/kling/videos/{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateKind {
    Text2Video,
    Image2VideoFrames,
    Omni,
}

impl CreateKind {
    /// The kind named by the path segment, if it is one.
    pub fn from_path(kind: &str) -> Option<Self> {
        match kind {
            "text2video" => Some(Self::Text2Video),
            "image2video-frames" => Some(Self::Image2VideoFrames),
            "omni" => Some(Self::Omni),
            _ => None,
        }
    }
}

/// What a valid create asks for that a poll answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateRequest {
    pub prompt: String,
    pub duration: String,
    /// As sent, else `16:9`.
    pub aspect_ratio: String,
}

/// The omni aspect ratios.
const OMNI_RATIOS: [&str; 4] = ["16:9", "9:16", "1:1", "auto"];

/// Checks a create body; the error is the message of the 400.
pub(crate) fn check(kind: CreateKind, body: &Value) -> Result<CreateRequest, String> {
    let Some(body) = body.as_object() else {
        return Err("request body must be a JSON object".to_owned());
    };
    let prompt = string(body, "prompt")?;
    let duration = string(body, "duration")?;
    check_max_jobs(body)?;
    if let Some(email) = body.get("email")
        && !email.is_string()
    {
        return Err("email must be a string".to_owned());
    }
    let aspect_ratio = match body.get("aspect_ratio") {
        None => "16:9".to_owned(),
        Some(Value::String(ratio)) => ratio.clone(),
        Some(_) => return Err("aspect_ratio must be a string".to_owned()),
    };
    match kind {
        CreateKind::Text2Video | CreateKind::Image2VideoFrames => {
            if duration != "5" && duration != "10" {
                return Err(r#"duration must be "5" or "10""#.to_owned());
            }
            let model = string(body, "model_name")?;
            if !model.starts_with("kling-") {
                return Err("model_name must start with kling-".to_owned());
            }
            if kind == CreateKind::Image2VideoFrames {
                url(body, "image", true)?;
                url(body, "image_tail", false)?;
            }
        }
        CreateKind::Omni => {
            if body.contains_key("model_name") {
                return Err("model_name is not allowed with omni".to_owned());
            }
            let seconds: Option<u8> = duration.parse().ok();
            if !seconds.is_some_and(|s| (3..=10).contains(&s)) {
                return Err(r#"duration must be a string "3" to "10""#.to_owned());
            }
            string(body, "omni_version")?;
            if !OMNI_RATIOS.contains(&aspect_ratio.as_str()) {
                return Err("aspect_ratio must be one of 16:9, 9:16, 1:1, auto".to_owned());
            }
            for key in body.keys().filter(|k| is_numbered(k, "image_")) {
                url(body, key, true)?;
            }
            for key in body.keys().filter(|k| is_numbered(k, "video_")) {
                url(body, key, true)?;
            }
        }
    }
    Ok(CreateRequest {
        prompt,
        duration,
        aspect_ratio,
    })
}

fn string(body: &Map<String, Value>, key: &str) -> Result<String, String> {
    match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None => Err(format!("{key} is required")),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn check_max_jobs(body: &Map<String, Value>) -> Result<(), String> {
    match body.get("maxJobs").and_then(Value::as_u64) {
        Some(1..=50) => Ok(()),
        _ => Err("maxJobs must be an integer from 1 to 50".to_owned()),
    }
}

/// `key` must be an http(s) URL when present (and present when `required`).
fn url(body: &Map<String, Value>, key: &str, required: bool) -> Result<(), String> {
    match body.get(key) {
        None if !required => Ok(()),
        Some(Value::String(s)) if s.starts_with("http://") || s.starts_with("https://") => Ok(()),
        None => Err(format!("{key} is required")),
        Some(_) => Err(format!("{key} must be an http(s) URL")),
    }
}

/// `image_1`, `image_2`, … (a prefix then digits only).
fn is_numbered(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(extra: Value) -> Value {
        let mut body =
            json!({"prompt": "p", "duration": "5", "model_name": "kling-v2-6", "maxJobs": 5});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    }

    #[test]
    fn text2video_rules() {
        let ok = check(CreateKind::Text2Video, &text(json!({}))).expect("valid");
        assert_eq!(ok.aspect_ratio, "16:9");
        assert_eq!(ok.duration, "5");
        for (bad, why) in [
            (json!({"duration": 5}), "duration must be a string"),
            (json!({"duration": "7"}), "duration must be"),
            (json!({"model_name": "v2-6"}), "kling-"),
            (json!({"maxJobs": 0}), "maxJobs"),
            (json!({"maxJobs": "5"}), "maxJobs"),
            (json!({"prompt": ""}), "prompt is required"),
        ] {
            let error = check(CreateKind::Text2Video, &text(bad.clone())).expect_err("invalid");
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn image2video_needs_an_http_image() {
        let kind = CreateKind::Image2VideoFrames;
        assert!(check(kind, &text(json!({}))).is_err());
        assert!(check(kind, &text(json!({"image": "ftp://x"}))).is_err());
        assert!(check(kind, &text(json!({"image": "https://x/a.png"}))).is_ok());
    }

    #[test]
    fn omni_rules() {
        let omni = json!({"prompt": "p", "duration": "3", "omni_version": "o1", "maxJobs": 5,
            "aspect_ratio": "auto", "image_1": "http://h/a.png"});
        assert!(check(CreateKind::Omni, &omni).is_ok());
        for (key, value) in [
            ("model_name", json!("kling-o1")),
            ("duration", json!("11")),
            ("aspect_ratio", json!("4:3")),
            ("image_2", json!("data:x")),
        ] {
            let mut bad = omni.clone();
            bad[key] = value;
            assert!(check(CreateKind::Omni, &bad).is_err(), "{key}");
        }
    }
}
