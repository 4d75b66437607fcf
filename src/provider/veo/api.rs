//! Veo's wording of an HTTP exchange over the shared [`crate::provider::http`]
//! call: the bot's messages for 429 (quota, a rate limit here) and 403 (IAM,
//! the operator's), its HTTP client's text for any other error status.

use reqwest::RequestBuilder;
use url::Url;

use super::messages;
use crate::i18n::UserText;
use crate::message::wire::python_json_unicode;
use crate::provider::ProviderError;
use crate::provider::document::Document;
use crate::provider::http::{self, CallError, Reply};

/// Characters of an error body kept in a message.
const DETAILS_CHARS: usize = 1000;

/// A client for JSON calls under one body cap.
#[derive(Debug, Clone)]
pub struct JsonClient {
    /// The HTTP client (redirects not followed).
    pub http: reqwest::Client,
    /// The largest response read (a base64 video fits).
    pub max_body: u64,
}

impl JsonClient {
    /// Sends `request` to `url` and parses the JSON answer; an answer that is
    /// not JSON becomes `unparsable`'s error.
    pub async fn send(
        &self,
        call: &'static str,
        url: &Url,
        request: RequestBuilder,
        unparsable: fn(UserText) -> ProviderError,
    ) -> Result<Document, ProviderError> {
        let reply = http::execute(super::NAME, call, request, self.max_body)
            .await
            .map_err(|error| match error {
                CallError::Transport { kind, detail } => {
                    ProviderError::retryable(messages::transport(kind, detail))
                }
                CallError::TooLarge(max) => {
                    ProviderError::fatal(messages::too_large(max.div_ceil(1024 * 1024)))
                }
            })?;
        if !reply.status.is_success() {
            return Err(status_error(&reply, url));
        }
        Document::parse(reply.body).map_err(|error| unparsable(messages::invalid_json(error)))
    }
}

/// 429 is the bot's quota message (retried as a rate limit), 403 its IAM
/// message (the operator's), anything else its HTTP client's text; the Gemini
/// API's 400 for a bad key is the operator's too, not each request's.
pub fn status_error(reply: &Reply, url: &Url) -> ProviderError {
    let message = || messages::http_error(reply.status, url.as_str(), &details(reply));
    match reply.status.as_u16() {
        429 => ProviderError::Retryable {
            message: messages::quota_exhausted(),
            after: crate::net::retry_after(&reply.headers),
            rate_limited: true,
        },
        403 => ProviderError::Unauthorized(messages::access_denied()),
        400 if invalid_key(reply) => ProviderError::Unauthorized(message()),
        _ => reply.status_error(message()),
    }
}

/// Google's answer to an API key it does not take (`API_KEY_INVALID`).
fn invalid_key(reply: &Reply) -> bool {
    let body = String::from_utf8_lossy(&reply.body);
    body.contains("API_KEY_INVALID") || body.contains("API key not valid")
}

/// The body as the bot shows it: JSON re-written as Python writes it, else the text.
fn details(reply: &Reply) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(value) => python_json_unicode(&value),
        Err(_) => String::from_utf8_lossy(&reply.body).into_owned(),
    };
    text.chars().take(DETAILS_CHARS).collect()
}

/// The bot's fallback rule, without its slip: a refusal that says 404 or "not
/// found" means the model name is wrong, so the next candidate is tried. Only
/// the status and the body count (the bot also matched the URL, so a project
/// named `…404…` tried every candidate after any error).
pub fn model_not_found(error: &ProviderError) -> bool {
    let ProviderError::Fatal(message) = error else {
        return false;
    };
    let text = message.ru.to_lowercase();
    let details = text
        .split_once("details: ")
        .map_or("", |(_, details)| details);
    text.starts_with("client error '404 ") || details.contains("not found")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn reply(status: u16, body: &'static str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn statuses_get_the_bots_messages_and_classes() {
        let url = Url::parse("https://x/v1/projects/p/m:predictLongRunning").unwrap();
        match status_error(&reply(429, "{}"), &url) {
            ProviderError::Retryable {
                message,
                rate_limited: true,
                ..
            } => assert!(message.ru.starts_with("Квота Veo временно исчерпана.")),
            other => panic!("{other:?}"),
        }
        match status_error(&reply(403, "{}"), &url) {
            ProviderError::Unauthorized(message) => {
                assert!(message.ru.starts_with("Доступ к модели Veo запрещен."))
            }
            other => panic!("{other:?}"),
        }
        let not_found = status_error(
            &reply(404, r#"{"error":{"code":404,"status":"NOT_FOUND"}}"#),
            &url,
        );
        assert!(model_not_found(&not_found));
        assert!(
            not_found
                .to_string()
                .ends_with(r#"Details: {"error": {"code": 404, "status": "NOT_FOUND"}}"#)
        );
        assert!(status_error(&reply(500, "down"), &url).is_retryable());
        assert!(!model_not_found(&status_error(&reply(400, "bad"), &url)));
        let in_url = Url::parse("https://x/v1/projects/p404/m:predictLongRunning").unwrap();
        assert!(!model_not_found(&status_error(&reply(400, "bad"), &in_url)));
        assert!(!model_not_found(&status_error(&reply(503, "404"), &in_url)));
        assert!(model_not_found(&status_error(
            &reply(
                400,
                r#"{"error": {"message": "models/x is not found for API version v1beta"}}"#
            ),
            &url
        )));
        assert!(matches!(
            status_error(
                &reply(
                    400,
                    r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#
                ),
                &url
            ),
            ProviderError::Unauthorized(_)
        ));
    }
}
