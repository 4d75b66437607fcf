//! Veo's videos: Cloud Storage JSON-API downloads of the objects Vertex
//! operations wrote (Bearer token), Gemini file downloads (API key; a redirect
//! to a blob, as Google answers) and the blobs, which need no credentials.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};

use super::endpoint::Endpoint;
use super::faults::{Flavor, enter, google_error, text_response};
use super::files::video_response;
use super::google_token::unauthenticated;
use super::knobs::Knobs;
use super::state::Shared;
use super::veo_gemini::key_refused;
use super::veo_state::GeminiRedirect;

/// Whether a query string asks for the media (`alt=media`), not metadata.
fn wants_media(query: Option<&str>) -> bool {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(key, value)| key == "alt" && value == "media")
}

fn media_required() -> Response {
    google_error(
        StatusCode::BAD_REQUEST,
        "The simulator serves media only: add alt=media.",
    )
}

/// `GET /download/storage/v1/b/{bucket}/o/{object}?alt=media` (the object
/// percent-encoded, `/` as `%2F`).
pub(crate) async fn gcs_download(
    State(shared): State<Arc<Shared>>,
    Path((bucket, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::VeoDownload, &headers, Flavor::Google).await {
        return response;
    }
    if let Some(response) = unauthenticated(&shared, &headers) {
        return response;
    }
    if !wants_media(query.as_deref()) {
        return media_required();
    }
    let key = (bucket, object);
    let found = {
        let inner = shared.lock();
        let size = inner.veo.gcs_objects.get(&key).copied();
        size.map(|size| (size, inner.knobs.clone()))
    };
    match found {
        Some((size, knobs)) => video_response(size, &knobs),
        None => {
            let message = format!("No such object: {}/{}", key.0, key.1);
            google_error(StatusCode::NOT_FOUND, &message)
        }
    }
}

/// The size of a Gemini file and the knobs, if the file exists.
fn gemini_file_size(shared: &Shared, file_id: &str) -> Option<(u64, Knobs)> {
    let inner = shared.lock();
    let size = inner.veo.files.get(file_id).copied()?;
    Some((size, inner.knobs.clone()))
}

/// `GET /v1beta/files/{id}:download?alt=media`: a redirect to the blob, or the
/// video itself, as the `gemini_redirect` knob says.
pub(crate) async fn gemini_file(
    shared: &Shared,
    file_id: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    if let Some(response) = enter(shared, Endpoint::VeoDownload, headers, Flavor::Google).await {
        return response;
    }
    if let Some(response) = key_refused(shared, headers) {
        return response;
    }
    if !wants_media(query) {
        return media_required();
    }
    let Some((size, knobs)) = gemini_file_size(shared, file_id) else {
        let message = format!("File files/{file_id} not found.");
        return google_error(StatusCode::NOT_FOUND, &message);
    };
    let origin = match knobs.gemini_redirect {
        GeminiRedirect::None => return video_response(size, &knobs),
        GeminiRedirect::SameOrigin => shared.base_url.clone(),
        // The listener binds 127.0.0.1, so `localhost` reaches it under another origin.
        GeminiRedirect::OtherOrigin => shared.base_url.replacen("127.0.0.1", "localhost", 1),
    };
    let location = format!("{origin}/_sim/blob/{file_id}");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// `GET /_sim/blob/{id}`: a Gemini file's video, without credentials.
pub(crate) async fn blob(
    State(shared): State<Arc<Shared>>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::VeoBlob, &headers, Flavor::File).await {
        return response;
    }
    match gemini_file_size(&shared, &file_id) {
        Some((size, knobs)) => video_response(size, &knobs),
        None => text_response(StatusCode::NOT_FOUND, "not found"),
    }
}
