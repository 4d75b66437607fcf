//! Whether a daemon run until idle may stop: nothing its providers could claim
//! is queued, counting requests that wait out a retry delay.

use super::job::JobContext;
use crate::queue::{leases_due, queue_depth};

/// True when no request of an active model of the registry's providers is
/// queued and no request of theirs waits for its lease to run out (a retry's
/// delay, a lease no live worker renews). A failed read answers false: the
/// daemon polls again.
pub(super) async fn nothing_queued(ctx: &JobContext) -> bool {
    let providers = ctx.registry.names();
    let db = ctx.store.database();
    let depths = match queue_depth(db, &providers).await {
        Ok(depths) => depths,
        Err(error) => {
            tracing::warn!(%error, "cannot read the queue's depth; polling again");
            return false;
        }
    };
    if depths.iter().any(|depth| depth.active && depth.queued > 0) {
        return false;
    }
    match leases_due(db, &providers).await {
        Ok(due) => due == 0,
        Err(error) => {
            tracing::warn!(%error, "cannot read the leases due; polling again");
            false
        }
    }
}
