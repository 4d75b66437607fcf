//! How much waits in the queue, per provider: what `/metrics` reports at scrape
//! time, and (with the leases due) whether a daemon run until idle may stop.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use super::claim::{MODEL_JOIN, not_an_extension, provider_list};
use super::dialect::Dialect;
use crate::db::types::{DateTimeField, UtcTime};
use crate::db::{Database, DbError};
use crate::with_conn;

/// Queued requests of one provider's active models (those a claim would take),
/// or of its inactive ones (paused by an admin).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct QueueDepth {
    /// The provider.
    #[diesel(sql_type = Text)]
    pub provider: String,
    /// Whether these requests' models are active (claimable); false: paused.
    #[diesel(sql_type = Bool)]
    pub active: bool,
    /// Requests waiting.
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
    /// When the oldest of them was created.
    #[diesel(sql_type = Nullable<DateTimeField>)]
    pub oldest: Option<UtcTime>,
}

/// The queue's depth for each of `providers` (the registry's names), active and
/// paused models apart; a provider with nothing queued is absent. Every replica
/// sees the same queue. The bot's extension requests are not genworker's queue.
pub async fn queue_depth(db: &Database, providers: &[&str]) -> Result<Vec<QueueDepth>, DbError> {
    if providers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT m.provider AS provider, m.is_active AS active, COUNT(*) AS queued, \
             MIN(r.created_at) AS oldest \
             FROM botapp_genrequest r JOIN {MODEL_JOIN} \
             WHERE r.status = 'queued' AND m.provider IN ({}) AND {} \
             GROUP BY m.provider, m.is_active ORDER BY m.provider",
        provider_list(providers),
        not_an_extension(Dialect::of(db.kind()).has_key)
    );
    with_conn!(db, |conn| diesel::sql_query(sql)
        .load::<QueueDepth>(conn)
        .map_err(DbError::from))
}

/// A count, as the statement names it.
#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Requests of `providers` that a claim takes again once their lease runs out
/// and that no live worker holds: those waiting out a retry delay (let go with
/// a later expiry) and those whose lease ran out already. They stay
/// `processing` (or hold an outcome not yet delivered), so [`queue_depth`]
/// does not count them.
pub async fn leases_due(db: &Database, providers: &[&str]) -> Result<i64, DbError> {
    if providers.is_empty() {
        return Ok(0);
    }
    let now_param = db.kind().placeholder(1);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM genworker_lease l \
         JOIN botapp_genrequest r ON r.id = l.request_id JOIN {MODEL_JOIN} \
         WHERE NOT l.delivered AND (l.worker_id IS NULL OR l.lease_expires_at < {now_param}) \
           AND m.provider IN ({}) AND r.status IN ('processing', 'done', 'error')",
        provider_list(providers)
    );
    let now = UtcTime::now();
    with_conn!(db, |conn| diesel::sql_query(sql)
        .bind::<DateTimeField, _>(now)
        .get_result::<Count>(conn)
        .map(|count| count.n)
        .map_err(DbError::from))
}
