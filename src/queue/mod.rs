//! The queue: every SQL statement genworker runs against `botapp_genrequest` and
//! its own `genworker_lease`/`genworker_refund` tables. Claims take leases; a
//! heartbeat extends them; expired leases are reclaimed by any worker; every write
//! of a result is fenced on the (worker, attempt) that owns the lease. Only the
//! claim inserts leases, under the requests' row locks. Every writer takes rows
//! in one order — requests, users' balances, users' settings, models — the
//! order of the bot's own request creation too, so none deadlocks.

pub mod admin;
pub(crate) mod balance;
mod batch;
mod claim;
mod depth;
mod dialect;
mod fence;
mod finish;
mod job;
mod lease;
mod lease_handle;
pub(crate) mod progress;
pub(crate) mod refund;
pub mod request;
pub mod stats;
mod store;
mod take;
pub mod wake;
pub mod workers;

pub use admin::{AdminError, ENQUEUE_INSERTS, Enqueued, NewRequest, enqueue};
pub use batch::{CompletionWrite, TaskIdWrite};
pub use depth::{QueueDepth, leases_due, queue_depth};
pub use finish::{Failure, Success, kept_seconds, kept_text};
pub use job::{Charge, Earlier, FailedTask, Job};
pub use lease_handle::Lease;
pub use refund::{ChargeError, REFUND_INSERTS, RefundOutcome};
pub use request::{GenRequest, status};
pub use store::QueueStore;

/// A request this worker claimed: what its [`Lease`] knows of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Claimed {
    /// The request.
    request_id: i64,
    /// The claim number, the fencing token of every later write.
    attempt: i32,
    /// Retryable failures so far.
    failures: i32,
}

/// Whether a fenced write applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fenced {
    /// It did.
    Applied,
    /// Another worker owns the request now (our lease expired): nothing written.
    LostLease,
    /// The request is no longer processing (cancelled, or set back to `queued`):
    /// nothing written.
    NotProcessing,
}

impl Fenced {
    /// The outcome, as one word for logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::LostLease => "lost_lease",
            Self::NotProcessing => "not_processing",
        }
    }
}
