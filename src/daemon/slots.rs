//! Jobs in flight: free slots per provider (`GENWORKER_CONCURRENCY` overall,
//! `KLING_MAX_CONCURRENT` for Kling), and a way to stop each job.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio::time::Instant;

/// Why a job is stopped from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The process is shutting down: hand the request back at once.
    Shutdown,
    /// The bot cancelled the request: write nothing more to it.
    Cancelled,
    /// Another worker holds the request now: write nothing.
    LostLease,
    /// Someone set the request back to `queued` (the Django admin, SQL): let the
    /// lease go at once so that a claim takes it afresh.
    Requeued,
}

impl Stop {
    /// The reason, as one word for logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shutdown => "shutdown",
            Self::Cancelled => "cancelled",
            Self::LostLease => "lost_lease",
            Self::Requeued => "requeued",
        }
    }
}

struct Running {
    attempt: i32,
    provider: &'static str,
    started: Instant,
    stop: watch::Sender<Option<Stop>>,
}

struct Inner {
    total: usize,
    /// Per provider: its limit and the jobs it runs now.
    providers: Vec<(&'static str, usize, usize)>,
    running: HashMap<i64, Running>,
}

impl Inner {
    /// (provider, limit, free slots) of providers with free slots, within the overall limit.
    fn free(&self) -> impl Iterator<Item = (&'static str, usize, usize)> + '_ {
        let mut overall = self.total.saturating_sub(self.running.len());
        self.providers
            .iter()
            .filter_map(move |&(provider, limit, used)| {
                let slots = limit.saturating_sub(used).min(overall);
                overall -= slots;
                (slots > 0).then_some((provider, limit, slots))
            })
    }

    fn count(&mut self, provider: &'static str, change: fn(usize) -> usize) {
        if let Some(entry) = self.providers.iter_mut().find(|p| p.0 == provider) {
            entry.2 = change(entry.2);
        }
    }
}

/// Under load a claim waits until this share of a provider's slots is free
/// (1/16th), so that one claim transaction serves a batch, not a single job.
const CLAIM_SHARE: usize = 16;

/// The jobs in flight (cheap to clone; shared).
#[derive(Clone)]
pub struct Slots(Arc<Mutex<Inner>>);

impl Slots {
    /// `total` jobs at most, and per provider its limit.
    pub fn new(total: usize, limits: Vec<(&'static str, usize)>) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            total,
            providers: limits
                .into_iter()
                .map(|(name, limit)| (name, limit, 0))
                .collect(),
            running: HashMap::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain counters behind: keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Free slots per provider (only providers with some), within the overall limit.
    pub fn free(&self) -> Vec<(&'static str, usize)> {
        self.lock()
            .free()
            .map(|(provider, _, slots)| (provider, slots))
            .collect()
    }

    /// Jobs running now, per provider (every provider, idle ones at 0).
    pub fn in_flight(&self) -> Vec<(&'static str, usize)> {
        self.lock()
            .providers
            .iter()
            .map(|&(provider, _, used)| (provider, used))
            .collect()
    }

    /// Whether a claim is worth its transaction now: nothing runs, or some
    /// provider has a batch's worth of free slots (1/16th of its limit, at least one).
    pub fn worth_claiming(&self) -> bool {
        let inner = self.lock();
        inner.running.is_empty()
            || inner
                .free()
                .any(|(_, limit, slots)| slots >= (limit / CLAIM_SHARE).max(1))
    }

    /// Records a started job; the receiver says when it must stop.
    pub fn start(
        &self,
        id: i64,
        attempt: i32,
        provider: &'static str,
    ) -> watch::Receiver<Option<Stop>> {
        let (stop, receiver) = watch::channel(None);
        let mut inner = self.lock();
        inner.count(provider, |used| used + 1);
        let replaced = inner.running.insert(
            id,
            Running {
                attempt,
                provider,
                started: Instant::now(),
                stop,
            },
        );
        if let Some(old) = replaced {
            inner.count(old.provider, |used| used.saturating_sub(1));
        }
        receiver
    }

    /// Frees the slot of this attempt's job (a later attempt's job keeps its own).
    pub fn finish(&self, id: i64, attempt: i32) {
        let mut inner = self.lock();
        if inner
            .running
            .get(&id)
            .is_some_and(|job| job.attempt == attempt)
            && let Some(job) = inner.running.remove(&id)
        {
            inner.count(job.provider, |used| used.saturating_sub(1));
        }
    }

    /// (request, attempt) of every job running now.
    pub fn running(&self) -> Vec<(i64, i32)> {
        self.lock()
            .running
            .iter()
            .map(|(id, job)| (*id, job.attempt))
            .collect()
    }

    /// Stops jobs started before `since` whose (request, attempt) is not in `held`.
    pub fn keep_only(&self, held: &[(i64, i32)], since: Instant) {
        let held: HashSet<(i64, i32)> = held.iter().copied().collect();
        for (id, job) in &self.lock().running {
            if job.started < since && !held.contains(&(*id, job.attempt)) {
                tracing::warn!(
                    request.id = id,
                    "lease taken by another worker; stopping the job"
                );
                job.stop.send_replace(Some(Stop::LostLease));
            }
        }
    }

    /// Stops the job of this attempt of the request (a later attempt's job,
    /// claimed since, keeps running).
    pub fn stop_attempt(&self, id: i64, attempt: i32, reason: Stop) {
        if let Some(job) = self.lock().running.get(&id)
            && job.attempt == attempt
        {
            job.stop.send_replace(Some(reason));
        }
    }

    /// Stops every job.
    pub fn stop_all(&self, reason: Stop) {
        for job in self.lock().running.values() {
            job.stop.send_replace(Some(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_waits_for_a_sixteenth_of_the_slots_under_load() {
        let slots = Slots::new(256, vec![("kling", 256)]);
        assert!(slots.worth_claiming(), "idle: claim at once");
        let _stops: Vec<_> = (0..256).map(|id| slots.start(id, 1, "kling")).collect();
        assert!(!slots.worth_claiming(), "full");
        for id in 0..15 {
            slots.finish(id, 1);
        }
        assert_eq!(slots.free(), [("kling", 15)]);
        assert!(!slots.worth_claiming(), "15 free of 256: wait for more");
        slots.finish(15, 1);
        assert!(slots.worth_claiming(), "16 free: a batch");
    }

    #[test]
    fn a_stop_for_an_earlier_attempt_leaves_the_later_one_running() {
        let slots = Slots::new(8, vec![("kling", 8)]);
        let first = slots.start(7, 1, "kling");
        slots.finish(7, 1);
        let second = slots.start(7, 2, "kling");
        slots.stop_attempt(7, 1, Stop::Cancelled);
        assert_eq!(*second.borrow(), None, "attempt 2 keeps running");
        assert_eq!(*first.borrow(), None, "attempt 1 had ended already");
        slots.stop_attempt(7, 2, Stop::Requeued);
        assert_eq!(*second.borrow(), Some(Stop::Requeued));
    }

    #[test]
    fn a_small_provider_limit_claims_each_free_slot() {
        let slots = Slots::new(256, vec![("kling", 20), ("other", 256)]);
        let _stops: Vec<_> = (0..20).map(|id| slots.start(id, 1, "kling")).collect();
        assert_eq!(slots.free(), [("other", 236)]);
        assert_eq!(slots.in_flight(), [("kling", 20), ("other", 0)]);
        assert!(slots.worth_claiming(), "the other provider has room");
        let slots = Slots::new(256, vec![("kling", 20)]);
        let _stops: Vec<_> = (0..20).map(|id| slots.start(id, 1, "kling")).collect();
        assert!(!slots.worth_claiming());
        slots.finish(3, 1);
        assert_eq!(slots.free(), [("kling", 1)]);
        assert!(
            slots.worth_claiming(),
            "one free slot is a batch for a limit of 20"
        );
    }
}
