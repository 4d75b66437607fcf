//! The poll loop: every [`Limits::poll_interval`](crate::provider::Limits)
//! until a final state or the provider's timeout, tolerating a few failed
//! polls in a row (the task stays resumable when they run out).

use serde_json::Value;
use tokio::time::Instant;

use super::Runner;
use crate::provider::{GenerationJob, ProviderError, TaskState, VideoSource};

/// Failed polls in a row tolerated before the attempt gives up.
const MAX_POLL_FAILURES: u32 = 5;

impl Runner {
    /// Polls until the task succeeds (its video and last response), fails
    /// ([`ProviderError::TaskFailed`]) or outlives the provider's timeout.
    pub(super) async fn wait(
        &self,
        job: &GenerationJob,
        task_id: &str,
    ) -> Result<(VideoSource, Value), ProviderError> {
        let limits = self.provider.limits();
        let deadline = Instant::now() + limits.poll_timeout;
        let mut failures = 0;
        loop {
            tokio::time::sleep(limits.poll_interval).await;
            if Instant::now() >= deadline {
                return Err(ProviderError::fatal(
                    self.provider.poll_timeout_message(limits.poll_timeout),
                ));
            }
            match self.provider.poll(job, task_id).await {
                Ok(answer) => match answer.state {
                    TaskState::Pending => failures = 0,
                    TaskState::Succeeded(video) => return Ok((video, answer.response)),
                    TaskState::Failed(message) => return Err(ProviderError::TaskFailed(message)),
                },
                Err(error) if error.is_retryable() && failures + 1 < MAX_POLL_FAILURES => {
                    failures += 1;
                    tracing::warn!(
                        provider = self.provider.name(),
                        provider.task_id = task_id,
                        error = %error,
                        "poll failed; polling on"
                    );
                }
                Err(error) => return Err(error),
            }
        }
    }
}
