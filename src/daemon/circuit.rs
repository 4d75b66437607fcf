//! Per-provider circuits. A provider that refuses genworker's credentials or
//! account (a wrong key, an empty balance) is the operator's problem: its
//! circuit opens, its requests wait in the queue unrefunded, one ERROR line
//! says what to check, and one request at a time probes it again with a
//! growing wait until the provider takes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::end::{FailureReason, JobEnd};

/// The wait before the first probe of an opened circuit.
const FIRST_PROBE: Duration = Duration::from_secs(5);
/// The longest wait between probes.
const MAX_PROBE: Duration = Duration::from_secs(300);

/// An open circuit.
struct Open {
    /// What the provider said.
    reason: String,
    /// The current wait between probes.
    backoff: Duration,
    /// When the next probe may be claimed.
    next_probe: Instant,
    /// The request probing now, if one is.
    probe: Option<i64>,
}

/// The circuits of every provider this process serves (cheap to clone; shared).
#[derive(Clone, Default)]
pub(super) struct Circuits(Arc<Mutex<HashMap<&'static str, Open>>>);

impl Circuits {
    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, Open>> {
        // A panic while holding this lock leaves plain state behind: keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many of `free` slots may be claimed for `provider` now: all while its
    /// circuit is closed; while open, none until a probe is due, then one.
    pub(super) fn claimable(&self, provider: &'static str, free: usize) -> usize {
        match self.lock().get(provider) {
            None => free,
            Some(open) if open.probe.is_none() && Instant::now() >= open.next_probe => free.min(1),
            Some(_) => 0,
        }
    }

    /// Records what a claim for an open circuit took: the probe, or nothing (no
    /// request waits: look again after the current wait).
    pub(super) fn probing(&self, provider: &'static str, request: Option<i64>) {
        if let Some(open) = self.lock().get_mut(provider) {
            match request {
                Some(id) => {
                    tracing::info!(provider, request.id = id, "probing the provider");
                    open.probe = Some(id);
                }
                None => open.next_probe = Instant::now() + open.backoff,
            }
        }
    }

    /// Learns from a job's end. A paused job opens the circuit (or, as the probe,
    /// keeps it open with a doubled wait); an answer from the provider about the
    /// request itself closes it; any other end of a probe says nothing about the
    /// credentials: the next probe goes after the current wait.
    /// `hint` (what to check) is asked only when the circuit opens.
    pub(super) fn observe(
        &self,
        provider: &'static str,
        request: i64,
        end: &JobEnd,
        hint: impl FnOnce() -> &'static str,
    ) {
        let mut circuits = self.lock();
        let now = Instant::now();
        match (circuits.get_mut(provider), end) {
            (None, JobEnd::Paused { message }) => {
                tracing::error!(
                    provider,
                    error = %message,
                    check = hint(),
                    next_probe_s = FIRST_PROBE.as_secs(),
                    "the provider refuses genworker's credentials or account: its requests stay \
                     queued and nothing is refunded until a probe succeeds"
                );
                circuits.insert(
                    provider,
                    Open {
                        reason: message.clone(),
                        backoff: FIRST_PROBE,
                        next_probe: now + FIRST_PROBE,
                        probe: None,
                    },
                );
            }
            (None, _) => {}
            (Some(open), JobEnd::Paused { message }) if open.probe == Some(request) => {
                open.backoff = (open.backoff * 2).min(MAX_PROBE);
                open.next_probe = now + open.backoff;
                open.probe = None;
                open.reason = message.clone();
                tracing::info!(
                    provider,
                    error = %message,
                    next_probe_s = open.backoff.as_secs(),
                    "probe refused; the circuit stays open"
                );
            }
            (Some(_), end) if answered(end) => {
                circuits.remove(provider);
                tracing::info!(
                    provider,
                    "the provider takes requests again; circuit closed"
                );
            }
            (Some(open), _) => {
                if open.probe == Some(request) {
                    open.probe = None;
                    open.next_probe = now + open.backoff;
                }
            }
        }
    }

    /// Forgets `request` as `provider`'s probe if it still is one (its job ended
    /// without a verdict), so that the next probe may go after the current wait.
    pub(super) fn abandon(&self, provider: &'static str, request: i64) {
        if let Some(open) = self.lock().get_mut(provider)
            && open.probe == Some(request)
        {
            open.probe = None;
        }
    }

    /// Whether `provider`'s circuit is open.
    pub(super) fn is_open(&self, provider: &str) -> bool {
        self.lock().contains_key(provider)
    }

    /// The open circuits, each with what its provider said, by provider name.
    pub(super) fn open(&self) -> Vec<(&'static str, String)> {
        let mut open: Vec<_> = self
            .lock()
            .iter()
            .map(|(provider, open)| (*provider, open.reason.clone()))
            .collect();
        open.sort();
        open
    }
}

/// Whether the provider answered about the request itself (so it took the
/// credentials): the video came, or the provider rejected the request or its task.
fn answered(end: &JobEnd) -> bool {
    matches!(
        end,
        JobEnd::Done
            | JobEnd::Failed {
                reason: FailureReason::Provider | FailureReason::TaskFailed,
                ..
            }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paused() -> JobEnd {
        JobEnd::Paused {
            message: "Kling API error: 401 Unauthorized".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_credential_opens_the_circuit_until_a_probe_succeeds() {
        let circuits = Circuits::default();
        assert_eq!(circuits.claimable("kling", 8), 8);
        circuits.observe("kling", 1, &paused(), || "KLING_API_KEY");
        assert!(circuits.is_open("kling"));
        assert_eq!(
            circuits.claimable("kling", 8),
            0,
            "no probe before the wait"
        );
        // Jobs already in flight that are refused too change nothing.
        circuits.observe("kling", 2, &paused(), || "KLING_API_KEY");
        tokio::time::advance(FIRST_PROBE).await;
        assert_eq!(circuits.claimable("kling", 8), 1, "one probe");
        circuits.probing("kling", Some(3));
        assert_eq!(circuits.claimable("kling", 8), 0, "one probe at a time");
        circuits.observe("kling", 3, &paused(), || "KLING_API_KEY");
        tokio::time::advance(FIRST_PROBE).await;
        assert_eq!(circuits.claimable("kling", 8), 0, "the wait doubled");
        tokio::time::advance(FIRST_PROBE).await;
        assert_eq!(circuits.claimable("kling", 8), 1);
        circuits.probing("kling", Some(4));
        circuits.observe("kling", 4, &JobEnd::Done, || "KLING_API_KEY");
        assert!(!circuits.is_open("kling"));
        assert_eq!(circuits.claimable("kling", 8), 8);
        assert!(circuits.open().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_probe_lets_the_next_one_go() {
        let circuits = Circuits::default();
        circuits.observe("kling", 1, &paused(), || "KLING_API_KEY");
        tokio::time::advance(FIRST_PROBE).await;
        circuits.probing("kling", Some(1));
        assert_eq!(circuits.claimable("kling", 8), 0);
        // Shutdown, a lost lease or a requeue stops the probe's job.
        circuits.observe("kling", 1, &JobEnd::Dropped, || "KLING_API_KEY");
        assert!(circuits.is_open("kling"));
        assert_eq!(circuits.claimable("kling", 8), 0, "the wait first");
        tokio::time::advance(FIRST_PROBE).await;
        assert_eq!(
            circuits.claimable("kling", 8),
            1,
            "not stuck on a probe that ended"
        );
        // A supervisor that panicked gives its probe up through its guard.
        circuits.probing("kling", Some(2));
        circuits.abandon("kling", 2);
        assert_eq!(circuits.claimable("kling", 8), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_says_nothing_about_credentials_lets_the_next_one_go() {
        let circuits = Circuits::default();
        circuits.observe("kling", 1, &paused(), || "KLING_API_KEY");
        assert_eq!(
            circuits.open(),
            [("kling", "Kling API error: 401 Unauthorized".to_owned())]
        );
        tokio::time::advance(FIRST_PROBE).await;
        circuits.probing("kling", None);
        assert_eq!(
            circuits.claimable("kling", 8),
            0,
            "nothing queued: wait again"
        );
        tokio::time::advance(FIRST_PROBE).await;
        circuits.probing("kling", Some(2));
        let invalid = JobEnd::Failed {
            reason: FailureReason::InvalidRequest,
            refunded: true,
        };
        circuits.observe("kling", 2, &invalid, || "KLING_API_KEY");
        assert!(
            circuits.is_open("kling"),
            "an invalid request proves nothing"
        );
        assert_eq!(
            circuits.claimable("kling", 8),
            0,
            "the next probe after the wait"
        );
        tokio::time::advance(FIRST_PROBE).await;
        assert_eq!(circuits.claimable("kling", 8), 1);
    }
}
