//! Kling in the seed's generic style: `POST /v1/video/generations`,
//! `GET /v1/video/generations/{job_id}`, static bearer key.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::faults::{Flavor, bearer, enter, json_response, read_json};
use super::files::base64_json;
use super::knobs::ResultMode;
use super::state::{Phase, Shared, Task, TaskStyle};

fn unauthorized(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    if bearer(headers) == Some(shared.api_key.as_str()) {
        return None;
    }
    tracing::debug!("generic Kling call without the right bearer key");
    Some(json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"error": "unauthorized"}),
    ))
}

fn bad_request(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": message}))
}

/// `POST /v1/video/generations`: creates a task, answers `queued`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::KlingCreate, &headers, Flavor::Generic).await {
        return response;
    }
    if let Some(response) = unauthorized(&shared, &headers) {
        return response;
    }
    let body = match read_json(body).await {
        Ok(body) => body,
        Err(message) => return bad_request(message),
    };
    let prompt = body
        .get("prompt")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let id = shared.next_id();
    let duration = match body.get("duration") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "5".to_owned(),
    };
    let mut inner = shared.lock();
    inner.last_bodies.insert(Endpoint::KlingCreate, body);
    let Some(prompt) = prompt else {
        return bad_request("prompt is required");
    };
    inner.count_create(&prompt);
    inner.tasks.insert(
        id.clone(),
        Task::new(id.clone(), TaskStyle::Generic, None, duration),
    );
    inner.task_order.push(id.clone());
    drop(inner);
    tracing::debug!(task_id = %id, "generic task created");
    json_response(StatusCode::OK, &json!({"task_id": id, "status": "queued"}))
}

/// `GET /v1/video/generations/{job_id}`: the task's status and result.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Path(job_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::KlingStatus, &headers, Flavor::Generic).await {
        return response;
    }
    if let Some(response) = unauthorized(&shared, &headers) {
        return response;
    }
    let (polled, mode) = {
        let mut inner = shared.lock();
        (inner.poll(&job_id), inner.knobs.result)
    };
    let Some((phase, task)) = polled else {
        return json_response(StatusCode::NOT_FOUND, &json!({"error": "task not found"}));
    };
    let id = task.id;
    match phase {
        Phase::Submitted | Phase::Processing => json_response(
            StatusCode::OK,
            &json!({"task_id": id, "status": "processing"}),
        ),
        Phase::Failed { message } => json_response(
            StatusCode::OK,
            &json!({"task_id": id, "status": "failed", "error_message": message}),
        ),
        Phase::Succeeded { video_bytes } => match mode {
            ResultMode::Url => json_response(
                StatusCode::OK,
                &json!({
                    "task_id": id,
                    "status": "succeeded",
                    "result": {"video_url": format!("{}/files/{id}.mp4", shared.base_url)},
                }),
            ),
            ResultMode::Base64 => {
                let prefix = format!(
                    "{{\"task_id\":{},\"status\":\"succeeded\",\"video_base64\":\"",
                    Value::String(id)
                );
                base64_json(prefix, video_bytes, "\"}")
            }
        },
    }
}
