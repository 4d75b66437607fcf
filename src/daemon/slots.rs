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
}

struct Running {
    attempt: i32,
    provider: &'static str,
    started: Instant,
    stop: watch::Sender<Option<Stop>>,
}

struct Inner {
    total: usize,
    limits: Vec<(&'static str, usize)>,
    running: HashMap<i64, Running>,
}

/// The jobs in flight (cheap to clone; shared).
#[derive(Clone)]
pub struct Slots(Arc<Mutex<Inner>>);

impl Slots {
    /// `total` jobs at most, and per provider its limit.
    pub fn new(total: usize, limits: Vec<(&'static str, usize)>) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            total,
            limits,
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
        let inner = self.lock();
        let mut overall = inner.total.saturating_sub(inner.running.len());
        let mut free = Vec::new();
        for &(provider, limit) in &inner.limits {
            let used = inner
                .running
                .values()
                .filter(|job| job.provider == provider)
                .count();
            let slots = limit.saturating_sub(used).min(overall);
            if slots > 0 {
                overall -= slots;
                free.push((provider, slots));
            }
        }
        free
    }

    /// Records a started job; the receiver says when it must stop.
    pub fn start(
        &self,
        id: i64,
        attempt: i32,
        provider: &'static str,
    ) -> watch::Receiver<Option<Stop>> {
        let (stop, receiver) = watch::channel(None);
        self.lock().running.insert(
            id,
            Running {
                attempt,
                provider,
                started: Instant::now(),
                stop,
            },
        );
        receiver
    }

    /// Frees a job's slot.
    pub fn finish(&self, id: i64) {
        self.lock().running.remove(&id);
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

    /// Stops these jobs.
    pub fn stop_each(&self, ids: &[i64], reason: Stop) {
        let inner = self.lock();
        for id in ids {
            if let Some(job) = inner.running.get(id) {
                job.stop.send_replace(Some(reason));
            }
        }
    }

    /// Stops every job.
    pub fn stop_all(&self, reason: Stop) {
        for job in self.lock().running.values() {
            job.stop.send_replace(Some(reason));
        }
    }
}
