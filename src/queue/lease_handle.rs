//! [`Lease`]: this worker's hold on one claimed request. It knows its own
//! (request, attempt), and every write of the request's fate goes through it,
//! fenced on that attempt: the result writes are built by it, and the lease is
//! given back, settled or failed only by its own methods.

use std::time::Duration;

use super::{
    Claimed, CompletionWrite, Failure, Fenced, QueueStore, RefundOutcome, Success, TaskIdWrite,
};
use crate::db::DbError;

/// A lease of one request by this worker.
#[derive(Clone)]
pub struct Lease {
    store: QueueStore,
    claimed: Claimed,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("worker", &self.store.worker())
            .field("claimed", &self.claimed)
            .finish()
    }
}

impl Lease {
    /// `store`'s lease of a claim it just took.
    pub(super) fn new(store: QueueStore, claimed: Claimed) -> Self {
        Self { store, claimed }
    }

    /// The request.
    pub fn request_id(&self) -> i64 {
        self.claimed.request_id
    }

    /// The claim number, the fencing token of every write.
    pub fn attempt(&self) -> i32 {
        self.claimed.attempt
    }

    /// Retryable failures of the request so far.
    pub fn failures(&self) -> i32 {
        self.claimed.failures
    }

    /// The provider's task id to save, fenced on this lease.
    pub fn task_id_write(&self, task_id: &str) -> TaskIdWrite {
        TaskIdWrite {
            request_id: self.claimed.request_id,
            attempt: self.claimed.attempt,
            task_id: task_id.to_owned(),
        }
    }

    /// The finished video to write, fenced on this lease.
    pub fn completion(&self, success: Success) -> CompletionWrite {
        CompletionWrite {
            request_id: self.claimed.request_id,
            attempt: self.claimed.attempt,
            success,
        }
    }

    /// Lets the request go for `after` (a retry later, or at once); `failed`
    /// counts the message as one retryable failure. False when the lease is
    /// no longer held.
    pub async fn release(&self, after: Duration, failed: Option<String>) -> Result<bool, DbError> {
        self.store.release(self.claimed, after, failed).await
    }

    /// Records the outcome as delivered (or abandoned) and lets the lease go.
    pub async fn settle(&self) -> Result<bool, DbError> {
        self.store.settle(self.claimed).await
    }

    /// Puts the request back in the queue, unrefunded, no failure counted: its
    /// provider refused genworker's credentials. False when the request is no
    /// longer this lease's.
    pub async fn pause(&self) -> Result<bool, DbError> {
        self.store.pause(self.claimed).await
    }

    /// Fails the request: the error, the model's error count and the refund, in
    /// one transaction. A failure nobody is to be told about settles the lease
    /// too; one to tell leaves it held until [`Lease::settle`].
    pub async fn fail(&self, failure: Failure) -> Result<(Fenced, Option<RefundOutcome>), DbError> {
        self.store.fail(self.claimed, failure).await
    }
}
