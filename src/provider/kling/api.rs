//! One HTTP exchange with the Kling API, its error messages, and bounded retries.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};

use crate::download::truncate;
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
    /// `Kling API error: <status> <reason>. Details: <body, cut to 1000 characters>`.
    pub fn error_message(&self) -> String {
        let reason = self.status.canonical_reason().unwrap_or("");
        format!(
            "Kling API error: {} {reason}. Details: {}",
            self.status.as_u16(),
            truncate(&String::from_utf8_lossy(&self.body))
        )
    }

    /// 429 and 5xx may pass on retry (429 is a rate limit); 401 and 403 are the
    /// operator's credentials; other errors will not pass.
    pub fn status_error(&self) -> ProviderError {
        let message = self.error_message();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            ProviderError::Retryable {
                message: message.into(),
                after: retry_after(&self.headers),
                rate_limited: true,
            }
        } else if self.status.is_server_error() {
            ProviderError::Retryable {
                message: message.into(),
                after: retry_after(&self.headers),
                rate_limited: false,
            }
        } else if matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            ProviderError::Unauthorized(message.into())
        } else {
            ProviderError::fatal(message)
        }
    }
}

/// Sends a request and reads the whole body, refusing bodies over `max_body` bytes;
/// its latency is recorded under `call` (a 2xx answer counts as `ok`).
pub async fn execute(
    call: &'static str,
    request: RequestBuilder,
    max_body: u64,
) -> Result<Reply, ProviderError> {
    let started = Instant::now();
    let reply = read(request, max_body).await;
    let ok = matches!(&reply, Ok(reply) if reply.status.is_success());
    crate::metrics::provider_call(super::NAME, call, ok, started.elapsed());
    reply
}

async fn read(request: RequestBuilder, max_body: u64) -> Result<Reply, ProviderError> {
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let capacity = response.content_length().unwrap_or(0).min(max_body);
    if response
        .content_length()
        .is_some_and(|length| length > max_body)
    {
        return Err(too_large(max_body));
    }
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if (body.len() + chunk.len()) as u64 > max_body {
            return Err(too_large(max_body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        headers,
        body: Bytes::from(body),
    })
}

/// The user's message for a video over the cap.
pub fn too_large(max_bytes: u64) -> ProviderError {
    ProviderError::fatal(super::messages::too_large(max_bytes.div_ceil(1024 * 1024)))
}

fn transport(error: reqwest::Error) -> ProviderError {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    ProviderError::retryable(format!(
        "Kling API error: {kind}. Details: {}",
        error.without_url()
    ))
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
                tracing::debug!(error = %error, wait_ms = wait.as_millis() as u64, "retrying Kling call");
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
