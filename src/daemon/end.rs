//! How a job ended ([`JobEnd`]), why a request failed ([`FailureReason`]), and
//! how each end is counted in the metrics.

/// How a job ended, for the runner's bookkeeping and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// The video was stored and the request is done.
    Done,
    /// The request failed (refunded when it was charged).
    Failed {
        /// Why.
        reason: FailureReason,
        /// Whether this failure wrote a refund.
        refunded: bool,
    },
    /// Given back to the queue to retry later.
    Retrying {
        /// The provider asked to slow down (no attempt used).
        rate_limited: bool,
    },
    /// Put back in the queue unrefunded, no attempt used: the provider refused
    /// genworker's credentials or account (its circuit opens).
    Paused {
        /// What the provider said.
        message: String,
    },
    /// The request was cancelled meanwhile: nothing more written.
    Cancelled,
    /// Nothing written: another worker owns it now, or it was set back to `queued`.
    Dropped,
}

/// Why a request failed, as the metrics label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// Its parameters, model or image are unusable.
    InvalidRequest,
    /// Its charge is not one a refund can follow.
    InvalidCharge,
    /// The provider refused it.
    Provider,
    /// The provider ran its task and reported it failed.
    TaskFailed,
    /// Retryable errors used up every attempt.
    RetriesExhausted,
}

impl FailureReason {
    /// Every reason, as the metrics list them.
    pub const ALL: [FailureReason; 5] = [
        Self::InvalidRequest,
        Self::InvalidCharge,
        Self::Provider,
        Self::TaskFailed,
        Self::RetriesExhausted,
    ];

    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidCharge => "invalid_charge",
            Self::Provider => "provider",
            Self::TaskFailed => "task_failed",
            Self::RetriesExhausted => "retries_exhausted",
        }
    }
}

/// The `reason` labels of the retries counter.
const RETRY_REASONS: [&str; 3] = ["rate_limited", "error", "paused"];

impl JobEnd {
    /// Creates at 0 every series [`JobEnd::record`] and the claim loop write for
    /// `provider`, so that each exists from start-up.
    pub(super) fn register(provider: &'static str) {
        use crate::metrics::{CANCELLATIONS, CLAIMS, COMPLETIONS, FAILURES, REFUNDS, RETRIES};
        for name in [CLAIMS, COMPLETIONS, REFUNDS, CANCELLATIONS] {
            metrics::counter!(name, "provider" => provider).increment(0);
        }
        for reason in FailureReason::ALL {
            metrics::counter!(FAILURES, "provider" => provider, "reason" => reason.label())
                .increment(0);
        }
        for reason in RETRY_REASONS {
            metrics::counter!(RETRIES, "provider" => provider, "reason" => reason).increment(0);
        }
    }

    /// Counts this end in the metrics of `provider`.
    pub(super) fn record(&self, provider: &'static str) {
        use crate::metrics::{CANCELLATIONS, COMPLETIONS, FAILURES, REFUNDS, RETRIES};
        match self {
            Self::Done => metrics::counter!(COMPLETIONS, "provider" => provider).increment(1),
            Self::Failed { reason, refunded } => {
                metrics::counter!(FAILURES, "provider" => provider, "reason" => reason.label())
                    .increment(1);
                if *refunded {
                    metrics::counter!(REFUNDS, "provider" => provider).increment(1);
                }
            }
            Self::Retrying { rate_limited } => {
                let reason = RETRY_REASONS[usize::from(!*rate_limited)];
                metrics::counter!(RETRIES, "provider" => provider, "reason" => reason).increment(1);
            }
            Self::Paused { .. } => {
                let reason = RETRY_REASONS[2];
                metrics::counter!(RETRIES, "provider" => provider, "reason" => reason).increment(1);
            }
            Self::Cancelled => {
                metrics::counter!(CANCELLATIONS, "provider" => provider).increment(1);
            }
            Self::Dropped => {}
        }
    }
}
