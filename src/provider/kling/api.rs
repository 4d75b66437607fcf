//! Kling's wording of an HTTP exchange (`Kling API error: …`), over the
//! shared [`crate::provider::http`] call.

use reqwest::RequestBuilder;

use crate::provider::ProviderError;
use crate::provider::http::{self, CallError, Reply};

/// Sends a request under the Kling metric label and reads the whole body.
pub async fn execute(
    call: &'static str,
    request: RequestBuilder,
    max_body: u64,
) -> Result<Reply, ProviderError> {
    http::execute(super::NAME, call, request, max_body)
        .await
        .map_err(|error| match error {
            CallError::Transport { kind, detail } => {
                ProviderError::retryable(format!("Kling API error: {kind}. Details: {detail}"))
            }
            CallError::TooLarge(max_body) => too_large(max_body),
        })
}

/// `Kling API error: <status> <reason>. Details: <body, cut to 1000 characters>`.
pub fn error_message(reply: &Reply) -> String {
    let reason = reply.status.canonical_reason().unwrap_or("");
    format!(
        "Kling API error: {} {reason}. Details: {}",
        reply.status.as_u16(),
        reply.body_text()
    )
}

/// The error an unsuccessful status means, in Kling's wording.
pub fn status_error(reply: &Reply) -> ProviderError {
    reply.status_error(error_message(reply).into())
}

/// The user's message for a response or video over the cap.
pub fn too_large(max_bytes: u64) -> ProviderError {
    ProviderError::fatal(super::messages::too_large(max_bytes.div_ceil(1024 * 1024)))
}
