//! The lease heartbeat: one batched statement per third of the lease for the
//! jobs really running here.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::slots::{Slots, Stop};
use crate::queue::QueueStore;

/// Extends the leases of the jobs really running here every third of the lease
/// (a lease whose job is gone is left to expire), and at once when this worker
/// registers again after losing its lock (another may have taken its leases);
/// stops jobs whose lease another worker took or whose request was cancelled or
/// set back to `queued`.
pub(super) async fn heartbeat(
    store: QueueStore,
    slots: Slots,
    lease: Duration,
    registered: Option<tokio::sync::watch::Receiver<Option<i64>>>,
    stop: CancellationToken,
) {
    let every = lease / 3;
    let mut registered = registered;
    loop {
        let again = async {
            match registered.as_mut() {
                Some(changes) => {
                    if changes.changed().await.is_err() {
                        // The holder is gone (the daemon is stopping).
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
            _ = again => {}
        }
        let since = tokio::time::Instant::now();
        match store.heartbeat(&slots.running(), lease).await {
            Ok(held) => slots.keep_only(&held, since),
            Err(error) => tracing::warn!(%error, "heartbeat failed"),
        }
        match store.stopped_elsewhere().await {
            Ok(stopped) => {
                for (id, attempt, status) in stopped {
                    let reason = if status == crate::queue::status::QUEUED {
                        Stop::Requeued
                    } else {
                        Stop::Cancelled
                    };
                    slots.stop_attempt(id, attempt, reason);
                }
            }
            Err(error) => tracing::warn!(%error, "cancellation check failed"),
        }
    }
}
