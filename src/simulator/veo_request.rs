//! What both Veo styles check in a `…:predictLongRunning` body: the
//! `{"instances": [instance], "parameters": {…}}` envelope Google documents.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// A submit body that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Submission {
    /// `parameters` (empty when absent).
    pub parameters: Map<String, Value>,
    /// `parameters.storageUri`, checked to be `gs://bucket[/prefix]`.
    pub storage_uri: Option<String>,
}

/// Checks a submit body; the error is the `INVALID_ARGUMENT` message.
pub(crate) fn check(body: &Value) -> Result<Submission, String> {
    let instance = match body.get("instances").and_then(Value::as_array) {
        Some(instances) if instances.len() == 1 => &instances[0],
        Some(instances) => {
            return Err(format!(
                "`instances` must hold exactly one instance, not {}.",
                instances.len()
            ));
        }
        None => return Err("`instances` is required and must be a list.".to_owned()),
    };
    if !instance.get("prompt").is_some_and(Value::is_string) {
        return Err("`instances[0].prompt` must be a string.".to_owned());
    }
    if let Some(image) = instance.get("image") {
        check_image(image)?;
    }
    let parameters = match body.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(parameters)) => parameters.clone(),
        Some(_) => return Err("`parameters` must be an object.".to_owned()),
    };
    let storage_uri = match parameters.get("storageUri") {
        None => None,
        Some(Value::String(uri)) if is_gcs_prefix(uri) => Some(uri.clone()),
        Some(other) => {
            return Err(format!(
                "`parameters.storageUri` must be a gs://bucket/prefix URI, not {other}."
            ));
        }
    };
    Ok(Submission {
        parameters,
        storage_uri,
    })
}

fn check_image(image: &Value) -> Result<(), String> {
    let Some(encoded) = image.get("bytesBase64Encoded").and_then(Value::as_str) else {
        return Err("`instances[0].image.bytesBase64Encoded` must be a string.".to_owned());
    };
    if encoded.is_empty() || STANDARD.decode(encoded).is_err() {
        return Err("`instances[0].image.bytesBase64Encoded` is not valid base64.".to_owned());
    }
    let mime = image.get("mimeType").and_then(Value::as_str);
    if mime.is_none_or(str::is_empty) {
        return Err("`instances[0].image.mimeType` is required.".to_owned());
    }
    Ok(())
}

/// `gs://bucket` or `gs://bucket/prefix…` with a non-empty bucket.
fn is_gcs_prefix(uri: &str) -> bool {
    uri.strip_prefix("gs://")
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|bucket| !bucket.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_well_formed_body_passes_with_its_storage_uri() {
        let body = json!({
            "instances": [{"prompt": "", "image": {"bytesBase64Encoded": "/9j/4A==", "mimeType": "image/jpeg"}}],
            "parameters": {"sampleCount": 1, "storageUri": "gs://b/veo/"},
        });
        let submission = check(&body).expect("passes");
        assert_eq!(submission.storage_uri.as_deref(), Some("gs://b/veo/"));
        assert_eq!(submission.parameters["sampleCount"], 1);
        let bare = check(&json!({"instances": [{"prompt": "a"}]})).expect("passes");
        assert!(bare.parameters.is_empty());
    }

    #[test]
    fn each_broken_part_is_named() {
        let cases = [
            (json!({}), "`instances` is required"),
            (json!({"instances": []}), "exactly one instance, not 0"),
            (
                json!({"instances": [{"prompt": "a"}, {"prompt": "b"}]}),
                "not 2",
            ),
            (
                json!({"instances": [{"prompt": 3}]}),
                "prompt` must be a string",
            ),
            (
                json!({"instances": [{"prompt": "a", "image": {"bytesBase64Encoded": "%%", "mimeType": "image/png"}}]}),
                "not valid base64",
            ),
            (
                json!({"instances": [{"prompt": "a", "image": {"bytesBase64Encoded": "AAAA"}}]}),
                "mimeType` is required",
            ),
            (
                json!({"instances": [{"prompt": "a"}], "parameters": []}),
                "must be an object",
            ),
            (
                json!({"instances": [{"prompt": "a"}], "parameters": {"storageUri": "s3://b/"}}),
                "gs://bucket/prefix",
            ),
        ];
        for (body, expected) in cases {
            let error = check(&body).expect_err("refused");
            assert!(error.contains(expected), "{body}: {error}");
        }
    }
}
