//! The [`TaskIds`] that saves a provider's task id the moment it exists:
//! batched with other jobs' writes, fenced on the claim.

use std::time::Duration;

use async_trait::async_trait;
use tracing::warn;

use super::writes::BatchedWrites;
use crate::provider::{SaveError, TaskIds};
use crate::queue::{Claimed, Fenced, TaskIdWrite};

/// Tries to save a new task id before giving up.
const SAVE_ATTEMPTS: u32 = 5;

/// Saves task ids for one claim.
pub(super) struct FencedTaskIds {
    pub(super) writes: BatchedWrites,
    pub(super) claimed: Claimed,
}

#[async_trait]
impl TaskIds for FencedTaskIds {
    async fn save(&self, task_id: &str) -> Result<(), SaveError> {
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
                Ok(other) => return Err(SaveError::LeaseLost(format!("{other:?}"))),
                Err(error) if attempt < SAVE_ATTEMPTS => {
                    warn!(%error, "cannot save the task id yet; trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                }
                Err(error) => return Err(SaveError::Database(error.to_string())),
            }
        }
    }
}
