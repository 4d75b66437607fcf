//! Kling in the public API's official style: JWT bearer tokens,
//! `POST /v1/videos/{kind}`, `GET /v1/videos/{kind}/{task_id}`,
//! `GET /v1/videos/{kind}?external_task_id=...`, `{code, message, request_id, data}`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, StatusCode};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::faults::{Flavor, bearer, enter, json_response, official_error, read_json};
use super::state::{Phase, Shared, Task, TaskStyle};

const KINDS: [&str; 2] = ["text2video", "image2video"];

/// Verifies the HS256 JWT (issuer = access key, exp/nbf with 5 s leeway).
fn unauthorized(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let status = StatusCode::UNAUTHORIZED;
    let Some(token) = bearer(headers) else {
        return Some(official_error(
            shared,
            status,
            1001,
            "Authorization is empty",
        ));
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.validate_nbf = true;
    validation.set_issuer(&[shared.api_key.as_str()]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss"]);
    let key = DecodingKey::from_secret(shared.api_secret.as_bytes());
    let error = jsonwebtoken::decode::<Value>(token, &key, &validation).err()?;
    tracing::debug!(error = %error, "official Kling call with a bad token");
    Some(match error.kind() {
        ErrorKind::ExpiredSignature => {
            official_error(shared, status, 1004, "Authorization has expired")
        }
        ErrorKind::ImmatureSignature => {
            official_error(shared, status, 1003, "Authorization is not yet valid")
        }
        _ => official_error(shared, status, 1002, "Authorization is invalid"),
    })
}

fn invalid(shared: &Shared, message: &str) -> Response {
    official_error(shared, StatusCode::BAD_REQUEST, 1201, message)
}

fn not_found(shared: &Shared, message: &str) -> Response {
    official_error(shared, StatusCode::NOT_FOUND, 1203, message)
}

fn succeed(shared: &Shared, data: Value) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"code": 0, "message": "SUCCEED", "request_id": shared.request_id(), "data": data}),
    )
}

/// The task object of the official API.
fn task_json(shared: &Shared, task: &Task, phase: &Phase) -> Value {
    let status = match phase {
        Phase::Submitted => "submitted",
        Phase::Processing => "processing",
        Phase::Succeeded { .. } => "succeed",
        Phase::Failed { .. } => "failed",
    };
    let mut data = json!({
        "task_id": task.id,
        "task_status": status,
        "task_info": {},
        "created_at": task.created_at_ms,
        "updated_at": task.updated_at_ms,
    });
    if let Some(external) = &task.external_task_id {
        data["task_info"] = json!({"external_task_id": external});
    }
    match phase {
        Phase::Failed { message } => data["task_status_msg"] = json!(message),
        Phase::Succeeded { .. } => {
            data["task_status_msg"] = json!("");
            data["task_result"] = json!({"videos": [{
                "id": format!("{}-0", task.id),
                "url": format!("{}/files/{}.mp4", shared.base_url, task.id),
                "duration": task.duration,
            }]});
        }
        Phase::Submitted | Phase::Processing => {}
    }
    data
}

/// Checks the body rules; returns the error message of code 1201.
fn validate(kind: &str, body: &Value) -> Result<(), &'static str> {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    if body.get("model_name").is_some_and(|v| !v.is_string()) {
        return Err("model_name must be a string");
    }
    if body.get("duration").is_some_and(|v| !v.is_string()) {
        return Err("duration must be a string");
    }
    if body.get("external_task_id").is_some_and(|v| !v.is_string()) {
        return Err("external_task_id must be a string");
    }
    if kind == "text2video" && text("prompt").is_none_or(str::is_empty) {
        return Err("prompt is required");
    }
    if kind == "image2video" {
        let Some(image) = text("image").filter(|s| !s.is_empty()) else {
            return Err("image is required");
        };
        if image.starts_with("data:") {
            return Err("image must be raw base64 without a data: prefix");
        }
        let is_url = image.starts_with("http://") || image.starts_with("https://");
        if !is_url && STANDARD.decode(image).is_err() {
            return Err("image is not valid base64");
        }
    }
    Ok(())
}

/// `POST /v1/videos/{kind}`: creates a task.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::KlingCreate, &headers, Flavor::Official).await
    {
        return response;
    }
    if let Some(response) = unauthorized(&shared, &headers) {
        return response;
    }
    if !KINDS.contains(&kind.as_str()) {
        return not_found(&shared, "resource not found");
    }
    let body = match read_json(body).await {
        Ok(body) => body,
        Err(message) => {
            return official_error(&shared, StatusCode::BAD_REQUEST, 1200, message);
        }
    };
    let checked = validate(&kind, &body);
    let external = body
        .get("external_task_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let duration = body
        .get("duration")
        .and_then(Value::as_str)
        .unwrap_or("5")
        .to_owned();
    let callback_url = body
        .get("callback_url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let id = shared.next_id();
    let mut inner = shared.lock();
    inner.last_bodies.insert(Endpoint::KlingCreate, body);
    if let Err(message) = checked {
        drop(inner);
        return invalid(&shared, message);
    }
    if let Some(external) = &external {
        inner.count_create(external);
        if inner.by_external.contains_key(external) {
            drop(inner);
            tracing::debug!(external_task_id = %external, "duplicate external_task_id");
            return invalid(&shared, "external_task_id already exists");
        }
    }
    let task = Task::new(id.clone(), TaskStyle::Official(kind), external, duration);
    if let Some(external) = &task.external_task_id {
        inner.by_external.insert(external.clone(), id.clone());
    }
    inner.tasks.insert(id.clone(), task.clone());
    inner.task_order.push(id.clone());
    let lose = inner.knobs.lose_callbacks;
    let finish_after = Duration::from_millis(inner.knobs.finish_after_ms);
    drop(inner);
    if let Some(url) = callback_url.filter(|_| !lose) {
        tokio::spawn(call_back(shared.clone(), url, task.clone(), finish_after));
    }
    tracing::debug!(task_id = %id, "official task created");
    succeed(&shared, task_json(&shared, &task, &Phase::Submitted))
}

/// Kling's callback when the task ends: a POST of the task as a status
/// answer would show it, to the create's `callback_url` (each answer's status
/// recorded, 0 when none came).
async fn call_back(shared: Arc<Shared>, url: String, task: Task, finish_after: Duration) {
    static CLIENT: std::sync::OnceLock<Option<reqwest::Client>> = std::sync::OnceLock::new();
    // A moment after the end, so a poll the callback triggers sees the end.
    tokio::time::sleep(finish_after + Duration::from_millis(5)).await;
    let phase = shared
        .lock()
        .poll(&task.id)
        .map_or(Phase::Submitted, |(phase, _)| phase);
    let body = task_json(&shared, &task, &phase);
    let client = CLIENT.get_or_init(|| crate::net::client_builder().build().ok());
    let status = match client {
        Some(client) => match client.post(&url).json(&body).send().await {
            Ok(answer) => answer.status().as_u16(),
            Err(error) => {
                tracing::debug!(%error, "callback not delivered");
                0
            }
        },
        None => 0,
    };
    shared.lock().callbacks.push(status);
}

/// `GET /v1/videos/{kind}/{task_id}`: one task (by task id or external id).
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Path((kind, task_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::KlingStatus, &headers, Flavor::Official).await
    {
        return response;
    }
    if let Some(response) = unauthorized(&shared, &headers) {
        return response;
    }
    let style = TaskStyle::Official(kind);
    let polled = {
        let mut inner = shared.lock();
        let id = inner
            .tasks
            .get(&task_id)
            .or_else(|| {
                let id = inner.by_external.get(&task_id)?;
                inner.tasks.get(id)
            })
            .filter(|t| t.style == style)
            .map(|t| t.id.clone());
        id.and_then(|id| inner.poll(&id))
    };
    match polled {
        Some((phase, task)) => succeed(&shared, task_json(&shared, &task, &phase)),
        None => not_found(&shared, "task not found"),
    }
}

/// `GET /v1/videos/{kind}?external_task_id=...&pageNum=1&pageSize=30`: the list.
pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::KlingLookup, &headers, Flavor::Official).await
    {
        return response;
    }
    if let Some(response) = unauthorized(&shared, &headers) {
        return response;
    }
    let (mut external, mut page, mut size) = (None, 1usize, 30usize);
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "external_task_id" => external = Some(value.into_owned()),
            "pageNum" => page = value.parse().unwrap_or(1).max(1),
            "pageSize" => size = value.parse().unwrap_or(30).clamp(1, 500),
            _ => {}
        }
    }
    let style = TaskStyle::Official(kind);
    let mut inner = shared.lock();
    let candidates: Vec<String> = match &external {
        Some(external) => inner
            .by_external
            .get(external)
            .cloned()
            .into_iter()
            .collect(),
        None => inner.task_order.clone(),
    };
    let ids: Vec<String> = candidates
        .iter()
        .filter_map(|id| inner.tasks.get(id))
        .filter(|t| t.style == style)
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|t| t.id.clone())
        .collect();
    let found: Vec<(Phase, Task)> = ids.iter().filter_map(|id| inner.poll(id)).collect();
    drop(inner);
    let data: Vec<Value> = found
        .iter()
        .map(|(phase, task)| task_json(&shared, task, phase))
        .collect();
    succeed(&shared, Value::Array(data))
}
