//! The [`TaskIds`] that saves a provider's task id the moment it exists:
//! batched with other jobs' writes, fenced on the job's lease.

use std::time::Duration;

use async_trait::async_trait;
use tracing::warn;

use super::writes::BatchedWrites;
use crate::provider::{SaveError, TaskIds};
use crate::queue::{Fenced, Lease};

/// Tries to save a new task id before giving up.
const SAVE_ATTEMPTS: u32 = 5;

/// Saves task ids for one lease.
pub(super) struct FencedTaskIds<'a> {
    pub(super) writes: &'a BatchedWrites,
    pub(super) lease: &'a Lease,
}

#[async_trait]
impl TaskIds for FencedTaskIds<'_> {
    async fn save(&self, task_id: &str) -> Result<(), SaveError> {
        // A paid task exists now: losing its id means paying again, so insist a little.
        let mut attempt = 0;
        loop {
            match self
                .writes
                .save_task_id(self.lease.task_id_write(task_id))
                .await
            {
                Ok(Fenced::Applied) => return Ok(()),
                Ok(refused) => return Err(SaveError::LeaseLost(refused)),
                Err(error) if attempt < SAVE_ATTEMPTS => {
                    warn!(%error, "cannot save the task id yet; trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                }
                Err(error) => return Err(SaveError::Database(error)),
            }
        }
    }
}
