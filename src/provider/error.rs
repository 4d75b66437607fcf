//! What went wrong in a provider, and whether trying again can help.

use std::time::Duration;

/// A provider failure. `Fatal` messages reach the user (the seed's Russian wording).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// A retry may succeed: transport errors, 5xx, rate limits.
    #[error("{message}")]
    Retryable {
        /// What happened (stored as the error if retries run out).
        message: String,
        /// How long the provider asked us to wait, if it said.
        after: Option<Duration>,
        /// A rate or concurrency limit: waiting does not use up an attempt.
        rate_limited: bool,
    },
    /// Retrying cannot help; the message is for the user.
    #[error("{0}")]
    Fatal(String),
}

impl ProviderError {
    /// A retryable failure with no server-given delay.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable {
            message: message.into(),
            after: None,
            rate_limited: false,
        }
    }

    /// A failure retrying cannot fix.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::Fatal(message.into())
    }

    /// The delay the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { after, .. } => *after,
            Self::Fatal(_) => None,
        }
    }

    /// Whether a retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }
}
