//! Veo on Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning`
//! and `…/models/{m}:fetchPredictOperation`, authorised by Bearer tokens from
//! [`super::google_token`]. A video comes back inline as base64, or as a
//! `gs://` URI that [`super::veo_files`] serves.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::faults::{Flavor, enter, google_error, json_response, read_json};
use super::files::base64_json;
use super::google_token::unauthenticated;
use super::service_account::SIM_VERTEX_PROJECT;
use super::state::{Inner, Shared};
use super::veo_request;
use super::veo_state::{Delivery, VeoOperation, VeoResult, VeoStyle};

/// `response.@type` of a finished Vertex operation.
const RESPONSE_TYPE: &str =
    "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse";

/// What closes an inline video's JSON after its base64.
const INLINE_SUFFIX: &str = "\",\"mimeType\":\"video/mp4\"}]}}";

/// The parts of `{p}/locations/{l}/publishers/google/models/{m}:{action}`.
#[derive(Debug, PartialEq, Eq)]
struct ModelPath<'a> {
    project: &'a str,
    location: &'a str,
    model: &'a str,
    action: &'a str,
}

impl ModelPath<'_> {
    /// `projects/{p}/locations/{l}/publishers/google/models/{m}`.
    fn resource(&self) -> String {
        format!(
            "projects/{}/locations/{}/publishers/google/models/{}",
            self.project, self.location, self.model
        )
    }
}

/// Parses what follows `/v1/projects/`.
fn parse(rest: &str) -> Option<ModelPath<'_>> {
    let parts: Vec<&str> = rest.split('/').collect();
    let [
        project,
        "locations",
        location,
        "publishers",
        "google",
        "models",
        last,
    ] = parts[..]
    else {
        return None;
    };
    let (model, action) = last.split_once(':')?;
    [project, location, model]
        .iter()
        .all(|part| !part.is_empty())
        .then_some(ModelPath {
            project,
            location,
            model,
            action,
        })
}

/// `POST /v1/projects/{*rest}`: a model's `predictLongRunning` or `fetchPredictOperation`.
pub(crate) async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let route = parse(&rest).and_then(|path| match path.action {
        "predictLongRunning" => Some((path, Endpoint::VeoSubmit)),
        "fetchPredictOperation" => Some((path, Endpoint::VeoPoll)),
        _ => None,
    });
    let Some((path, endpoint)) = route else {
        let message = format!("The requested URL /v1/projects/{rest} was not found.");
        return google_error(StatusCode::NOT_FOUND, &message);
    };
    if let Some(response) = enter(&shared, endpoint, &headers, Flavor::Google).await {
        return response;
    }
    if let Some(response) = unauthenticated(&shared, &headers) {
        return response;
    }
    let resource = path.resource();
    if path.project != SIM_VERTEX_PROJECT {
        let message = format!(
            "Permission 'aiplatform.endpoints.predict' denied on resource \
             '//aiplatform.googleapis.com/{resource}' (or it may not exist)."
        );
        return google_error(StatusCode::FORBIDDEN, &message);
    }
    let body = match read_json(body).await {
        Ok(body) => body,
        Err(message) => return google_error(StatusCode::BAD_REQUEST, message),
    };
    if endpoint == Endpoint::VeoSubmit {
        submit(&shared, path.model, &resource, body)
    } else {
        fetch(&shared, &resource, body)
    }
}

/// Starts an operation for a known model and a well-formed body.
fn submit(shared: &Shared, model: &str, resource: &str, body: Value) -> Response {
    let known = shared.knobs().veo_models.iter().any(|m| m == model);
    let checked = veo_request::check(&body);
    let mut inner = shared.lock();
    inner.last_bodies.insert(Endpoint::VeoSubmit, body);
    if !known {
        drop(inner);
        let message = format!("Publisher Model `{resource}` not found.");
        return google_error(StatusCode::NOT_FOUND, &message);
    }
    let submission = match checked {
        Ok(submission) => submission,
        Err(message) => {
            drop(inner);
            return google_error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let id = shared.request_id();
    let name = format!("{resource}/operations/{id}");
    let operation = VeoOperation {
        name: name.clone(),
        id,
        style: VeoStyle::Vertex,
        storage_uri: submission.storage_uri,
        created: Instant::now(),
        result: None,
    };
    inner.veo.operations.insert(name.clone(), operation);
    drop(inner);
    tracing::debug!(operation = %name, "Vertex Veo operation started");
    json_response(StatusCode::OK, &json!({ "name": name }))
}

/// Polls the operation named in the body, which must belong to `resource`.
fn fetch(shared: &Shared, resource: &str, body: Value) -> Response {
    let name = body
        .get("operationName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let polled = {
        let mut inner = shared.lock();
        inner.last_bodies.insert(Endpoint::VeoPoll, body);
        let Inner { knobs, veo, .. } = &mut *inner;
        name.as_deref().and_then(|name| {
            name.strip_prefix(resource)
                .is_some_and(|rest| rest.starts_with("/operations/"))
                .then(|| veo.poll(name, knobs))
        })
    };
    match (name, polled) {
        (None, _) => google_error(StatusCode::BAD_REQUEST, "`operationName` is required."),
        (Some(name), None) => {
            let message = format!("`{name}` is not an operation of `{resource}`.");
            google_error(StatusCode::BAD_REQUEST, &message)
        }
        (Some(name), Some(None)) => {
            let message = format!("Operation `{name}` not found.");
            google_error(StatusCode::NOT_FOUND, &message)
        }
        (Some(_), Some(Some(operation))) => answer(&operation),
    }
}

/// The operation as `fetchPredictOperation` answers it.
fn answer(operation: &VeoOperation) -> Response {
    let name = &operation.name;
    let video = |entry: Value| {
        json!({"name": name, "done": true, "response": {
            "@type": RESPONSE_TYPE, "raiMediaFilteredCount": 0, "videos": [entry],
        }})
    };
    let body = match &operation.result {
        None => json!({ "name": name }),
        Some(VeoResult::Video { bytes, delivery }) => match delivery {
            Delivery::Inline => {
                let prefix = format!("{}\"bytesBase64Encoded\":\"", video_prefix(name));
                return base64_json(prefix, *bytes, INLINE_SUFFIX);
            }
            Delivery::Gcs { bucket, object } => video(json!({
                "gcsUri": format!("gs://{bucket}/{object}"), "mimeType": "video/mp4",
            })),
            Delivery::File { .. } => {
                return google_error(StatusCode::INTERNAL_SERVER_ERROR, "no Vertex result");
            }
        },
        Some(VeoResult::Failed { message }) => {
            json!({"name": name, "done": true, "error": {"code": 3, "message": message}})
        }
        Some(VeoResult::Filtered { reason }) => json!({"name": name, "done": true, "response": {
            "@type": RESPONSE_TYPE, "raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [reason],
        }}),
    };
    json_response(StatusCode::OK, &body)
}

/// The JSON text up to the first video entry's first field.
fn video_prefix(name: &str) -> String {
    format!(
        "{{\"name\":{},\"done\":true,\"response\":{{\"@type\":\"{RESPONSE_TYPE}\",\
         \"raiMediaFilteredCount\":0,\"videos\":[{{",
        Value::String(name.to_owned())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_path_parses_into_its_parts() {
        let path =
            parse("p/locations/us-central1/publishers/google/models/veo-2.0:fetchPredictOperation");
        assert_eq!(
            path,
            Some(ModelPath {
                project: "p",
                location: "us-central1",
                model: "veo-2.0",
                action: "fetchPredictOperation",
            })
        );
        let resource = path.map(|p| p.resource());
        assert_eq!(
            resource.as_deref(),
            Some("projects/p/locations/us-central1/publishers/google/models/veo-2.0")
        );
        for bad in [
            "p/locations/l/publishers/google/models/veo",
            "p/locations//publishers/google/models/veo:predictLongRunning",
            "p/locations/l/publishers/other/models/veo:predictLongRunning",
            "p/locations/l/publishers/google/models/veo:predictLongRunning/x",
            "p/locations/l/publishers/google/models/:predictLongRunning",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_streamed_base64_answer_is_valid_json() {
        let prefix = format!("{}\"bytesBase64Encoded\":\"", video_prefix("op\"1"));
        let text = format!("{prefix}AAAA{INLINE_SUFFIX}");
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["name"], "op\"1");
        assert_eq!(value["response"]["videos"][0]["bytesBase64Encoded"], "AAAA");
        assert_eq!(value["response"]["raiMediaFilteredCount"], 0);
    }
}
