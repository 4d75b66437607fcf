//! What went wrong in a provider, and whether trying again can help.

use std::time::Duration;

use crate::i18n::UserText;

/// A provider failure. Its message reaches the user in their language; the
/// database keeps the Russian wording (the seed's).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// A retry may succeed: transport errors, 5xx, rate limits.
    #[error("{message}")]
    Retryable {
        /// What happened (stored as the error if retries run out).
        message: UserText,
        /// How long the provider asked us to wait, if it said.
        after: Option<Duration>,
        /// A rate or concurrency limit: waiting does not use up an attempt.
        rate_limited: bool,
    },
    /// Retrying cannot help; the message is for the user.
    #[error("{0}")]
    Fatal(UserText),
    /// The provider ran the task and reported it failed. Retrying that task
    /// cannot help; a requeue submits a new one rather than resuming it.
    #[error("{0}")]
    TaskFailed(UserText),
    /// The provider refused genworker's credentials or account (HTTP 401/403,
    /// Kling's codes 1000–1004 and 1100–1103): the operator's problem, not the
    /// user's. The request goes back to the queue unrefunded while the
    /// provider's circuit is open.
    #[error("{0}")]
    Unauthorized(UserText),
}

impl ProviderError {
    /// A retryable failure with no server-given delay.
    pub fn retryable(message: impl Into<UserText>) -> Self {
        Self::Retryable {
            message: message.into(),
            after: None,
            rate_limited: false,
        }
    }

    /// A failure retrying cannot fix.
    pub fn fatal(message: impl Into<UserText>) -> Self {
        Self::Fatal(message.into())
    }

    /// The delay the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { after, .. } => *after,
            Self::Fatal(_) | Self::TaskFailed(_) | Self::Unauthorized(_) => None,
        }
    }

    /// Whether a retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }
}
