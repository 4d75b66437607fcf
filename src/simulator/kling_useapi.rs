//! Kling through useapi.net (the bot's latest release): `POST /v1/kling/accounts`,
//! `POST /v1/kling/videos/{text2video|image2video-frames|omni}`,
//! `GET /v1/kling/tasks/{id}` and its fallback `GET /v1/tasks/{id}`. The
//! bearer key is the simulator's Kling key; an `email` (body or `?email=`) is
//! recorded, never required. Assets and downloads: [`super::kling_useapi_assets`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::faults::{Flavor, bearer, enter, json_response, read_json};
use super::kling_useapi_request::{CreateKind, check};
use super::kling_useapi_state::{UseapiIdShape, UseapiStatusStyle, WORK_ID_OFFSET};
use super::state::{Phase, Shared, Task, TaskStyle};

/// A useapi.net error body, `{"error": message}`.
pub(crate) fn useapi_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"error": message}))
}

/// Enters `endpoint` (count, headers, faults), then checks the bearer key.
pub(crate) async fn admit(
    shared: &Shared,
    endpoint: Endpoint,
    headers: &HeaderMap,
) -> Option<Response> {
    if let Some(response) = enter(shared, endpoint, headers, Flavor::Useapi).await {
        return Some(response);
    }
    if bearer(headers) == Some(shared.api_key.as_str()) {
        return None;
    }
    tracing::debug!(
        endpoint = endpoint.name(),
        "useapi call without the right bearer key"
    );
    Some(useapi_error(StatusCode::UNAUTHORIZED, "Unauthorized"))
}

/// Records the `?email=` of a call, if any.
pub(crate) fn record_query_email(shared: &Shared, query: &HashMap<String, String>) {
    let email = query.get("email").map(String::as_str);
    shared.lock().useapi.record_email(email);
}

/// `POST /v1/kling/accounts`: `{"email","password","maxJobs"}` echoed back
/// without the password.
pub(crate) async fn account(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = admit(&shared, Endpoint::UseapiAccount, &headers).await {
        return response;
    }
    let body = match read_json(body).await {
        Ok(body) => body,
        Err(message) => return useapi_error(StatusCode::BAD_REQUEST, message),
    };
    let email = body.get("email").and_then(Value::as_str).map(str::to_owned);
    let has_password = body
        .get("password")
        .and_then(Value::as_str)
        .is_some_and(|p| !p.is_empty());
    let max_jobs = body.get("maxJobs").cloned().unwrap_or(Value::Null);
    let mut inner = shared.lock();
    inner.last_bodies.insert(Endpoint::UseapiAccount, body);
    let Some(email) = email.filter(|e| !e.is_empty() && has_password) else {
        return useapi_error(StatusCode::BAD_REQUEST, "email and password are required");
    };
    inner.useapi.record_email(Some(&email));
    drop(inner);
    json_response(
        StatusCode::OK,
        &json!({"email": email, "maxJobs": max_jobs}),
    )
}

/// `POST /v1/kling/videos/{kind}`: checks the body, creates a task and
/// answers its id where the `useapi_task_id_in` knob says.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = admit(&shared, Endpoint::UseapiCreate, &headers).await {
        return response;
    }
    let Some(kind) = CreateKind::from_path(&kind) else {
        return useapi_error(StatusCode::NOT_FOUND, "ResourceNotFound");
    };
    let body = match read_json(body).await {
        Ok(body) => body,
        Err(message) => return useapi_error(StatusCode::BAD_REQUEST, message),
    };
    let checked = check(kind, &body);
    let email = body.get("email").and_then(Value::as_str).map(str::to_owned);
    let mut inner = shared.lock();
    inner.last_bodies.insert(Endpoint::UseapiCreate, body);
    inner.useapi.record_email(email.as_deref());
    let request = match checked {
        Ok(request) => request,
        Err(message) => return useapi_error(StatusCode::BAD_REQUEST, &message),
    };
    inner.count_create(&request.prompt);
    let n = inner.useapi.next_task_id();
    let id = n.to_string();
    inner.tasks.insert(
        id.clone(),
        Task::new(
            id.clone(),
            TaskStyle::Useapi {
                aspect_ratio: request.aspect_ratio,
            },
            None,
            request.duration,
        ),
    );
    inner.task_order.push(id.clone());
    let shape = inner.knobs.useapi_task_id_in;
    drop(inner);
    tracing::debug!(task_id = n, ?kind, "useapi task created");
    let answer = match shape {
        UseapiIdShape::Task => json!({"task": {"id": n, "status": 5}}),
        UseapiIdShape::Top => json!({"taskId": id}),
        UseapiIdShape::Data => json!({"data": {"id": n}}),
    };
    json_response(StatusCode::OK, &answer)
}

/// `GET /v1/kling/tasks/{id}`.
pub(crate) async fn task(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    poll(&shared, &id, &query, &headers).await
}

/// `GET /v1/tasks/{id}`: the same answers; counted as `UseapiTaskFallback`
/// (its faults first) and as `UseapiTask` (whose faults it also plays).
pub(crate) async fn task_fallback(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(
        &shared,
        Endpoint::UseapiTaskFallback,
        &headers,
        Flavor::Useapi,
    )
    .await
    {
        return response;
    }
    poll(&shared, &id, &query, &headers).await
}

async fn poll(
    shared: &Shared,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    if let Some(response) = admit(shared, Endpoint::UseapiTask, headers).await {
        return response;
    }
    record_query_email(shared, query);
    let (polled, style) = {
        let mut inner = shared.lock();
        let useapi = inner
            .tasks
            .get(id)
            .is_some_and(|t| matches!(t.style, TaskStyle::Useapi { .. }));
        let polled = if useapi { inner.poll(id) } else { None };
        (polled, inner.knobs.useapi_status_style)
    };
    let Some((phase, task)) = polled else {
        return useapi_error(StatusCode::NOT_FOUND, "ResourceNotFound");
    };
    json_response(StatusCode::OK, &task_answer(shared, style, &phase, &task))
}

/// The `status` value (and `status_name`, numeric style) of a phase.
fn status_fields(style: UseapiStatusStyle, code: u64, text: &str) -> (Value, Option<&'static str>) {
    match (style, code) {
        (UseapiStatusStyle::Numeric, 99) => (json!(99), Some("succeed")),
        (UseapiStatusStyle::Numeric, 50) => (json!(50), Some("failed")),
        (UseapiStatusStyle::Numeric, _) => (json!(code), Some("processing")),
        (UseapiStatusStyle::Text, _) => (json!(text), None),
    }
}

/// A poll answer: pending, success with one work, or failure.
fn task_answer(shared: &Shared, style: UseapiStatusStyle, phase: &Phase, task: &Task) -> Value {
    let n: u64 = task.id.parse().unwrap_or_default();
    match phase {
        Phase::Submitted | Phase::Processing => {
            let (status, name) = status_fields(style, 5, "PROCESSING");
            let mut inner = json!({"id": n, "status": status});
            match name {
                Some(name) => inner["status_name"] = json!(name),
                None => return json!({"status": status, "task": {"id": n}}),
            }
            json!({"task": inner})
        }
        Phase::Succeeded { .. } => {
            let (status, name) = status_fields(style, 99, "SUCCEED");
            let aspect_ratio = match &task.style {
                TaskStyle::Useapi { aspect_ratio } => aspect_ratio.as_str(),
                _ => "16:9",
            };
            let mut answer = json!({
                "status": status,
                "status_final": true,
                "task": {"id": n, "taskInfo": {"arguments": [
                    {"name": "duration", "value": task.duration},
                    {"name": "aspect_ratio", "value": aspect_ratio},
                ]}},
                "works": [{
                    "workId": WORK_ID_OFFSET + n,
                    "status": status,
                    "resource": {
                        "resource": format!("{}/files/{}.mp4", shared.base_url, task.id),
                        "duration": 5100,
                        "width": 1280,
                        "height": 720,
                    },
                }],
            });
            if let Some(name) = name {
                answer["status_name"] = json!(name);
            }
            answer
        }
        Phase::Failed { message } => {
            let (status, name) = status_fields(style, 50, "FAILED");
            let mut answer = json!({
                "status": status,
                "status_final": true,
                "task": {"id": n, "failMsg": message},
            });
            if let Some(name) = name {
                answer["status_name"] = json!(name);
            }
            answer
        }
    }
}
