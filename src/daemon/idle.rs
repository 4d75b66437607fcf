//! Whether a daemon run until idle may stop: nothing its providers could claim
//! is queued, counting requests that wait out a retry delay.

use super::job::JobContext;
use crate::queue::queue_depth;

/// True when no request of an active model of the registry's providers is
/// queued. A failed read answers false: the daemon polls again.
pub(super) async fn nothing_queued(ctx: &JobContext) -> bool {
    let providers = ctx.registry.names();
    match queue_depth(ctx.store.database(), &providers).await {
        Ok(depths) => depths
            .iter()
            .all(|depth| !depth.active || depth.queued == 0),
        Err(error) => {
            tracing::warn!(%error, "cannot read the queue's depth; polling again");
            false
        }
    }
}
