//! Kling through useapi.net, files: `POST /v1/kling/assets/` (a raw image or
//! video upload, served back at `GET /_sim/useapi-assets/{name}`, which needs
//! no credentials) and `GET /v1/kling/assets/download?workIds=&fileTypes=MP4`
//! (a finished work's video URL).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use super::endpoint::Endpoint;
use super::faults::{json_response, text_response};
use super::kling_useapi::{admit, record_query_email, useapi_error};
use super::kling_useapi_state::WORK_ID_OFFSET;
use super::state::{Phase, Shared, TaskStyle};

/// Largest asset the simulator takes (the bot re-encodes images over 10 MB).
const MAX_ASSET: usize = 64 * 1024 * 1024;

/// `POST /v1/kling/assets/`: stores the raw body under its `image/*` or
/// `video/*` type and answers `{"url": <where it is served>}`.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = admit(&shared, Endpoint::UseapiAsset, &headers).await {
        return response;
    }
    record_query_email(&shared, &query);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_owned();
    let media = content_type.to_ascii_lowercase();
    if !(media.starts_with("image/") || media.starts_with("video/")) {
        return useapi_error(
            StatusCode::BAD_REQUEST,
            "Content-Type must be image/* or video/*",
        );
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ASSET).await else {
        return useapi_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "asset unreadable or too large",
        );
    };
    if bytes.is_empty() {
        return useapi_error(StatusCode::BAD_REQUEST, "request body is empty");
    }
    let size = bytes.len();
    let name = shared.lock().useapi.add_asset(&content_type, bytes);
    tracing::debug!(%name, size, "useapi asset stored");
    let url = format!("{}/_sim/useapi-assets/{name}", shared.base_url);
    json_response(StatusCode::OK, &json!({"url": url}))
}

/// `GET /_sim/useapi-assets/{name}`: an uploaded asset with its content type.
pub(crate) async fn served(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    let asset = {
        let inner = shared.lock();
        inner.useapi.assets.iter().find(|a| a.name == name).cloned()
    };
    let Some(asset) = asset else {
        return text_response(StatusCode::NOT_FOUND, "not found");
    };
    let content_type = HeaderValue::from_str(&asset.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let mut response = Response::new(Body::from(asset.bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// `GET /v1/kling/assets/download?workIds=<id>&fileTypes=MP4`: `{"cdnUrl"}`
/// of a succeeded task's work (the first of comma-separated ids).
pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = admit(&shared, Endpoint::UseapiDownload, &headers).await {
        return response;
    }
    record_query_email(&shared, &query);
    if query.get("fileTypes").map(String::as_str) != Some("MP4") {
        return useapi_error(StatusCode::BAD_REQUEST, "fileTypes must be MP4");
    }
    let Some(work) = query.get("workIds").filter(|w| !w.is_empty()) else {
        return useapi_error(StatusCode::BAD_REQUEST, "workIds is required");
    };
    let task_id = work
        .split(',')
        .next()
        .and_then(|w| w.trim().parse::<u64>().ok())
        .and_then(|w| w.checked_sub(WORK_ID_OFFSET))
        .map(|n| n.to_string());
    let finished = task_id.filter(|id| {
        shared.lock().tasks.get(id).is_some_and(|t| {
            matches!(t.style, TaskStyle::Useapi { .. })
                && matches!(t.final_phase, Some(Phase::Succeeded { .. }))
        })
    });
    match finished {
        Some(id) => json_response(
            StatusCode::OK,
            &json!({"cdnUrl": format!("{}/files/{id}.mp4", shared.base_url)}),
        ),
        None => useapi_error(StatusCode::NOT_FOUND, "ResourceNotFound"),
    }
}
