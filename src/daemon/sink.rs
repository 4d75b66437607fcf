//! The [`TaskSink`] that saves a provider's task id the moment it exists.

use std::time::Duration;

use async_trait::async_trait;
use tracing::warn;

use super::writes::BatchedWrites;
use crate::provider::{ProviderError, TaskSink};
use crate::queue::{Claimed, Fenced, TaskIdWrite};

/// Tries to save a new task id before giving up.
const SAVE_ATTEMPTS: u32 = 5;

/// Saves the provider's task id the moment it exists, fenced on the claim.
pub(super) struct FencedSink {
    pub(super) writes: BatchedWrites,
    pub(super) claimed: Claimed,
}

#[async_trait]
impl TaskSink for FencedSink {
    async fn task_created(&self, task_id: &str) -> Result<(), ProviderError> {
        tracing::Span::current().record("provider.task_id", task_id);
        // A paid task exists now: losing its id means paying again, so insist a little.
        let mut attempt = 0;
        loop {
            match self
                .writes
                .save_task_id(TaskIdWrite {
                    request_id: self.claimed.request_id,
                    attempt: self.claimed.attempt,
                    task_id: task_id.to_owned(),
                })
                .await
            {
                Ok(Fenced::Applied) => return Ok(()),
                Ok(other) => {
                    return Err(ProviderError::fatal(format!(
                        "task id not saved: {other:?}"
                    )));
                }
                Err(error) if attempt < SAVE_ATTEMPTS => {
                    warn!(%error, "cannot save the task id yet; trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                }
                Err(error) => {
                    return Err(ProviderError::retryable(format!(
                        "cannot save the task id: {error}"
                    )));
                }
            }
        }
    }
}
