//! `POST /callbacks/<provider>/<task key>/<token>` on `GENWORKER_HTTP_ADDR`: a
//! provider's callback when a task ends. A bad token (or one for another
//! provider or task) is a 404 and nothing else; a body over 64 KiB is refused.
//! A good one wakes that task's wait here, or, on PostgreSQL, NOTIFYs
//! `genworker_callback` so the replica that runs it wakes it. The body is never
//! read as the result: the woken job asks the provider for the task's state.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::job::JobContext;
use crate::callback::CallbackKeys;

/// The largest callback body taken.
pub const MAX_BODY: usize = 64 * 1024;

/// What the callback route needs.
#[derive(Clone)]
pub(super) struct Callbacks {
    pub(super) keys: CallbackKeys,
    pub(super) ctx: Arc<JobContext>,
}

impl Callbacks {
    /// Wakes `<provider>/<task key>` if it waits in this process.
    pub(super) fn wake_here(&self, provider: &str, task_key: &str) -> bool {
        self.ctx
            .registry
            .get(provider)
            .is_some_and(|runner| runner.wake(task_key))
    }
}

/// The callback route's handler.
pub(super) async fn callback(
    State(callbacks): State<Callbacks>,
    Path((provider, task_key, token)): Path<(String, String, String)>,
    _body: Bytes,
) -> Response {
    if !callbacks.keys.verify(&provider, &task_key, &token) {
        crate::metrics::callback("refused");
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    crate::metrics::callback("accepted");
    if !callbacks.wake_here(&provider, &task_key) {
        let payload = format!("{provider}/{task_key}");
        if let Err(error) =
            crate::queue::wake::notify_callback(callbacks.ctx.store.database(), &payload).await
        {
            tracing::warn!(%error, "cannot pass a callback on to the other replicas");
        }
    }
    (StatusCode::OK, Json(json!({"ok": true}))).into_response()
}
