//! One HTTP exchange with a provider's API, for every provider: the body read
//! under a cap, the call's latency recorded under the provider's name, the
//! status classified for retries, and bounded retries that wait as asked.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};

use crate::i18n::UserText;
use crate::net::{Backoff, retry_after};
use crate::provider::ProviderError;

/// Attempts per API call (the first try included).
const ATTEMPTS: u32 = 3;
/// The longest wait between attempts, even when Retry-After asks for more.
const MAX_WAIT: Duration = Duration::from_secs(60);
const BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(500),
    max: Duration::from_secs(8),
};

/// A complete HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl Reply {
    /// The error an unsuccessful status means, worded by the provider: 429 is a
    /// rate limit and 5xx may pass on retry; 401 and 403 are the operator's
    /// credentials; other errors will not pass.
    pub fn status_error(&self, message: UserText) -> ProviderError {
        let after = retry_after(&self.headers);
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            ProviderError::Retryable {
                message,
                after,
                rate_limited: true,
            }
        } else if self.status.is_server_error() {
            ProviderError::Retryable {
                message,
                after,
                rate_limited: false,
            }
        } else if matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            ProviderError::Unauthorized(message)
        } else {
            ProviderError::Fatal(message)
        }
    }

    /// The body as text, cut to 1000 characters (for messages).
    pub fn body_text(&self) -> String {
        crate::download::truncate(&String::from_utf8_lossy(&self.body))
    }
}

/// Why no answer was read.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Connecting, sending or reading failed.
    #[error("{kind}: {detail}")]
    Transport {
        /// `timeout`, `connection failed` or `request failed`.
        kind: &'static str,
        /// The client's description, without the URL.
        detail: String,
    },
    /// The body is over the cap.
    #[error("the response is larger than {0} bytes")]
    TooLarge(u64),
}

/// Sends a request and reads the whole body, refusing bodies over `max_body`
/// bytes; its latency is recorded under `provider` and `call` (a 2xx answer
/// counts as `ok`).
pub async fn execute(
    provider: &'static str,
    call: &'static str,
    request: RequestBuilder,
    max_body: u64,
) -> Result<Reply, CallError> {
    let started = Instant::now();
    let reply = read(request, max_body).await;
    let ok = matches!(&reply, Ok(reply) if reply.status.is_success());
    crate::metrics::provider_call(provider, call, ok, started.elapsed());
    reply
}

async fn read(request: RequestBuilder, max_body: u64) -> Result<Reply, CallError> {
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    if response
        .content_length()
        .is_some_and(|length| length > max_body)
    {
        return Err(CallError::TooLarge(max_body));
    }
    let capacity = response.content_length().unwrap_or(0).min(max_body);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if (body.len() + chunk.len()) as u64 > max_body {
            return Err(CallError::TooLarge(max_body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        headers,
        body: Bytes::from(body),
    })
}

fn transport(error: reqwest::Error) -> CallError {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    CallError::Transport {
        kind,
        detail: error.without_url().to_string(),
    }
}

/// Runs `call` until it succeeds, fails for good, or `ATTEMPTS` are used up,
/// retrying only the errors `may_retry` accepts and waiting as the server asked.
pub async fn with_retries<T, F, Fut>(
    may_retry: impl Fn(&ProviderError) -> bool,
    mut call: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(error) if error.is_retryable() && attempt + 1 < ATTEMPTS && may_retry(&error) => {
                let wait = error
                    .retry_after()
                    .unwrap_or_else(|| BACKOFF.delay(attempt))
                    .min(MAX_WAIT);
                tracing::debug!(error = %error, wait_ms = wait.as_millis() as u64, "retrying a provider call");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Only rate limits: the request was refused before anything was created.
pub fn rate_limited(error: &ProviderError) -> bool {
    matches!(
        error,
        ProviderError::Retryable {
            rate_limited: true,
            ..
        }
    )
}

/// Anything retryable (reads that change nothing).
pub fn any_retryable(error: &ProviderError) -> bool {
    error.is_retryable()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn statuses_are_classified_for_retries() {
        let text = || UserText::new("ru", "en");
        assert!(rate_limited(&reply(429).status_error(text())));
        assert!(reply(503).status_error(text()).is_retryable());
        assert!(!rate_limited(&reply(503).status_error(text())));
        assert!(matches!(
            reply(401).status_error(text()),
            ProviderError::Unauthorized(_)
        ));
        assert!(matches!(
            reply(403).status_error(text()),
            ProviderError::Unauthorized(_)
        ));
        assert!(matches!(
            reply(400).status_error(text()),
            ProviderError::Fatal(_)
        ));
    }
}
