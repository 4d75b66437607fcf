//! One job under supervision: run until it ends or is stopped from outside,
//! whatever happens hand its request back or let it go as the stop says, and
//! free its slot and its provider's probe even if something panics.

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::Notify;

use super::circuit::Circuits;
use super::end::JobEnd;
use super::job::JobContext;
use super::slots::{Slots, Stop};
use crate::queue::Job;

/// What a job's supervisor reports to: its slot, its provider's circuit, and
/// the claim loop to wake when the slot is free.
pub(super) struct Watch {
    pub(super) slots: Slots,
    pub(super) circuits: Circuits,
    pub(super) wake: Arc<Notify>,
}

/// Runs one job until it ends or is stopped, then frees its slot (also when
/// anything in here panics: the slot's guard frees it, and the heartbeat stops
/// extending its lease). A job that panics gives its request back like a
/// retryable failure: retried later, or failed with a refund once the attempts
/// are used up. Its end tells its provider's circuit whether the provider takes
/// genworker's credentials.
pub(super) async fn supervise(
    ctx: Arc<JobContext>,
    watch: Watch,
    job: Job,
    provider: &'static str,
    mut stop: tokio::sync::watch::Receiver<Option<Stop>>,
) {
    let lease = job.lease.clone();
    let circuits = watch.circuits;
    let id = lease.request_id();
    let _slot = SlotGuard {
        slots: watch.slots,
        circuits: circuits.clone(),
        provider,
        wake: watch.wake,
        id,
        attempt: lease.attempt(),
    };
    let language = job.language;
    // Boxed: the job's future is large, and tokio moves a task's future when it
    // spawns and when it finishes; moving a pointer instead took a sixth of the
    // engine's instructions per request off (benches/queue/engine.rs).
    let run = std::panic::AssertUnwindSafe(Box::pin(ctx.clone().run(job))).catch_unwind();
    let ended = tokio::select! {
        end = run => Ok(end),
        reason = stop.wait_for(Option::is_some) => Err(reason.ok().and_then(|r| *r)),
    };
    let (end, reason) = match ended {
        Ok(Ok(end)) => (end, None),
        Ok(Err(panic)) => (
            ctx.after_panic(lease.clone(), language, panic_text(&*panic))
                .await,
            None,
        ),
        Err(Some(Stop::Cancelled)) => (JobEnd::Cancelled, Some(Stop::Cancelled)),
        Err(reason) => (JobEnd::Dropped, reason),
    };
    end.record(provider);
    // Every end reaches the circuit, a stopped probe too (the next may then go).
    circuits.observe(provider, id, &end, || {
        ctx.registry
            .get(provider)
            .map_or("the provider's credentials", |found| {
                found.provider().credentials_hint()
            })
    });
    let handed_back = match reason {
        Some(Stop::Shutdown | Stop::Requeued) => {
            lease.release(Duration::ZERO, None).await.map(drop)
        }
        Some(Stop::Cancelled) => lease.settle().await.map(drop),
        Some(Stop::LostLease) | None => Ok(()),
    };
    if let Some(reason) = reason {
        tracing::info!(request.id = id, reason = reason.label(), "job stopped");
    }
    if let Err(error) = handed_back {
        tracing::warn!(request.id = id, %error, "cannot hand the lease back; it will expire");
    }
}

/// Frees a job's slot (and, if it was its provider's probe, the probe) when
/// its supervisor ends, however it ends: a panic in the supervisor too.
struct SlotGuard {
    slots: Slots,
    circuits: Circuits,
    provider: &'static str,
    wake: Arc<Notify>,
    id: i64,
    attempt: i32,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.slots.finish(self.id, self.attempt);
        self.circuits.abandon(self.provider, self.id);
        self.wake.notify_one();
    }
}

/// What a panic said, when it said it as text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
