//! useapi.net's error answers, as the bot reads them: `useapi Kling HTTP
//! <status>: <detail>` classified for retries, and its 404.

use serde_json::Value;

use super::messages;
use crate::message::wire::python_repr;
use crate::provider::ProviderError;
use crate::provider::http::Reply;

/// useapi.net's 404 (or `ResourceNotFound`).
pub(super) fn not_found(error: &ProviderError) -> bool {
    let text = error.to_string();
    text.starts_with("useapi Kling HTTP 404") || text.contains("ResourceNotFound")
}

/// `useapi Kling HTTP <status>: <detail>`, classified for retries (429 a rate
/// limit, 5xx may pass, 401/403 the operator's).
pub(super) fn status_error(reply: &Reply) -> ProviderError {
    reply.status_error(messages::http_error(reply.status.as_u16(), &detail(reply)))
}

/// The bot's detail: the first message-like string of the JSON body, else
/// `error.{message,detail,reason}`, else the body itself.
fn detail(reply: &Reply) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply.body_text();
    };
    let text = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    [
        "message",
        "error",
        "detail",
        "failMsg",
        "fail_message",
        "reason",
    ]
    .iter()
    .find_map(|key| text(value.get(key)))
    .or_else(|| {
        let error = value.get("error")?;
        ["message", "detail", "reason"]
            .iter()
            .find_map(|key| text(error.get(key)))
    })
    .unwrap_or_else(|| python_repr(&value))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderMap;

    use super::*;
    use crate::provider::http;

    fn reply(status: u16, body: &'static str) -> Reply {
        Reply {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: bytes::Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn http_errors_carry_the_bots_detail_and_class() {
        let limited = status_error(&reply(429, r#"{"error":"Too many parallel jobs"}"#));
        assert_eq!(
            limited.to_string(),
            "useapi Kling HTTP 429: Too many parallel jobs"
        );
        assert!(http::rate_limited(&limited));
        assert_eq!(
            status_error(&reply(400, r#"{"error":{"message":"bad prompt"}}"#)).to_string(),
            "useapi Kling HTTP 400: bad prompt"
        );
        assert_eq!(
            status_error(&reply(400, r#"{"code":7,"ok":false,"why":null}"#)).to_string(),
            "useapi Kling HTTP 400: {'code': 7, 'ok': False, 'why': None}"
        );
        assert_eq!(
            status_error(&reply(502, "Bad Gateway")).to_string(),
            "useapi Kling HTTP 502: Bad Gateway"
        );
        assert!(status_error(&reply(502, "x")).is_retryable());
        assert!(matches!(
            status_error(&reply(401, "{}")),
            ProviderError::Unauthorized(_)
        ));
        assert!(not_found(&status_error(&reply(
            404,
            r#"{"error":"ResourceNotFound"}"#
        ))));
        assert!(!not_found(&status_error(&reply(
            400,
            r#"{"error":"task 404 gone?"}"#
        ))));
    }
}
