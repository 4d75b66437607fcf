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
            Self::Fatal(_) => None,
        }
    }

    /// Whether a retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }
}
