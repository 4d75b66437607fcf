//! The poll loop: every [`Limits::poll_interval`](crate::provider::Limits)
//! (or, while the provider calls back, every `callback_poll_interval` and at
//! once when woken) until a final state or the provider's timeout, tolerating a
//! few failed polls in a row (the task stays resumable when they run out).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Runner;
use crate::provider::{GenerationJob, ProviderError, TaskState, VideoSource};

/// Failed polls in a row tolerated before the attempt gives up.
const MAX_POLL_FAILURES: u32 = 5;

/// The wake-ups of the tasks waited for, by task key.
#[derive(Default)]
pub(super) struct Waiting(Mutex<HashMap<String, Arc<Notify>>>);

impl Waiting {
    fn enter(&self, task_key: &str) -> Entered<'_> {
        let notify = Arc::new(Notify::new());
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(task_key.to_owned(), notify.clone());
        Entered {
            waiting: self,
            task_key: task_key.to_owned(),
            notify,
        }
    }

    pub(super) fn wake(&self, task_key: &str) -> bool {
        let waiting = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match waiting.get(task_key) {
            Some(notify) => {
                // A permit is kept when the wait is in a poll, not asleep.
                notify.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A task's place among the waiting, left when its wait ends.
struct Entered<'a> {
    waiting: &'a Waiting,
    task_key: String,
    notify: Arc<Notify>,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let mut waiting = self
            .waiting
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if waiting
            .get(&self.task_key)
            .is_some_and(|notify| Arc::ptr_eq(notify, &self.notify))
        {
            waiting.remove(&self.task_key);
        }
    }
}

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
        let interval = limits
            .callback_poll_interval
            .unwrap_or(limits.poll_interval);
        let entered = self.waiting.enter(&job.task_key);
        let mut failures = 0;
        loop {
            let next = (Instant::now() + interval).min(deadline);
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = entered.notify.notified() => {}
            }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::Map;

    use super::*;
    use crate::i18n::UserText;
    use crate::net::AddressPolicy;
    use crate::provider::instant::{Fault, InstantProvider, Script};
    use crate::provider::{GenerationKind, OutputTarget};

    /// The instant provider's poll interval.
    const INTERVAL: Duration = Duration::from_millis(10);

    /// A runner over an instant provider whose polls fail `failures` times
    /// (retryably) before the task is finished, and that provider's script.
    fn runner(failures: usize) -> (Runner, Arc<Script>) {
        let failed = Fault::Refuse(ProviderError::retryable(UserText::same("503")));
        let script = Script::new(vec![failed; failures]);
        let provider = InstantProvider::scripted("kling", 1, script.clone());
        let runner = Runner::new(Arc::new(provider), AddressPolicy::PublicOnly).unwrap();
        (runner, script)
    }

    fn job() -> GenerationJob {
        GenerationJob {
            task_key: "run-1".into(),
            prompt: "a fox".into(),
            model_name: "instant".into(),
            kind: GenerationKind::TextToVideo,
            params: Map::new(),
            output: OutputTarget {
                dir: std::env::temp_dir(),
                stem: "run-1".into(),
            },
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failed_polls_are_retried_one_interval_apart() {
        let (runner, script) = runner(MAX_POLL_FAILURES as usize - 1);
        let started = Instant::now();
        runner.wait(&job(), "task").await.unwrap();
        assert_eq!(script.polls(), MAX_POLL_FAILURES);
        assert_eq!(started.elapsed(), INTERVAL * MAX_POLL_FAILURES);
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_gives_up_after_max_poll_failures_in_a_row() {
        let (runner, script) = runner(MAX_POLL_FAILURES as usize + 1);
        let started = Instant::now();
        let error = runner.wait(&job(), "task").await.unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
        assert_eq!(script.polls(), MAX_POLL_FAILURES, "no poll after the last");
        assert_eq!(started.elapsed(), INTERVAL * MAX_POLL_FAILURES);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_polls_at_once_instead_of_after_the_interval() {
        let (runner, script) = runner(0);
        let job = job();
        let started = Instant::now();
        // Woken as soon as it waits (time stands still meanwhile): the poll
        // comes before the interval.
        let wake = async {
            while !runner.wake("run-1") {
                tokio::task::yield_now().await;
            }
        };
        let (waited, ()) = tokio::join!(runner.wait(&job, "task"), wake);
        waited.unwrap();
        assert_eq!(script.polls(), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
