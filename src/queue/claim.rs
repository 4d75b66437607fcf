//! The claim's SQL: which rows a claim takes (expired leases first, then queued
//! requests), written once; what differs per backend comes from its [`Dialect`].

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::dialect::Dialect;
use crate::db::types::{DateTimeField, UtcTime};
use crate::db::{AnyConnection, BackendKind};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// `'kling', 'other'` — provider names come from the registry's constants, never from input.
pub(super) fn provider_list(providers: &[&str]) -> String {
    providers
        .iter()
        .map(|name| format!("'{}'", name.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The model a request belongs to: its foreign key, or (when that is NULL) its slug,
/// so that a request without a model is still claimed by its provider and failed.
pub(super) const MODEL_JOIN: &str = "botapp_aimodel m ON (m.id = r.ai_model_id \
     OR (r.ai_model_id IS NULL AND m.slug = r.model))";

/// Requests whose lease ran out (a crashed worker, a retry whose wait is over,
/// an outcome not yet delivered), oldest expiry first. Only leases not yet
/// settled can be due (a processing request's lease is never `delivered`): the
/// materialized CTE reads just those through their partial index, whatever the
/// planner's statistics say about the many settled ones.
fn expired_sql(providers: &str, kind: BackendKind) -> String {
    let (now, limit) = (kind.placeholder(1), kind.placeholder(2));
    let locking = Dialect::of(kind).locking;
    format!(
        "WITH due AS MATERIALIZED (SELECT request_id, lease_expires_at FROM genworker_lease \
           WHERE NOT delivered AND lease_expires_at < {now}) \
         SELECT r.id AS id FROM due l \
         JOIN botapp_genrequest r ON r.id = l.request_id \
         JOIN {MODEL_JOIN} \
         WHERE m.provider IN ({providers}) AND r.status IN ('processing', 'done', 'error') \
         ORDER BY l.lease_expires_at LIMIT {limit} {locking}"
    )
}

/// The bot's "extend video" requests (its own Celery task: the parent video's
/// last frame, a new segment, a crossfade), which genworker never claims: a
/// parent request, or `extend_parent_request_id` in the params, or
/// `parent_result_url` in the source media (veo_vertex.md §7). `has_key` is
/// the backend's "this JSON object has that key" test.
pub(super) fn not_an_extension(has_key: fn(&str, &str) -> String) -> String {
    format!(
        "r.parent_request_id IS NULL AND NOT {} AND NOT {}",
        has_key("r.generation_params", "extend_parent_request_id"),
        has_key("r.source_media", "parent_result_url")
    )
}

/// Queued requests of active models, oldest first, whatever their history: new
/// ones, and ones set back to `queued` (by the Django admin, SQL, the bot, or a
/// paused provider) whose lease no live worker holds. A worker still holding one
/// lets it go at its next heartbeat. The bot's extension requests are left to it.
fn queued_sql(providers: &str, kind: BackendKind) -> String {
    let (now, limit) = (kind.placeholder(1), kind.placeholder(2));
    let dialect = Dialect::of(kind);
    let (locking, not_an_extension) = (dialect.locking, not_an_extension(dialect.has_key));
    format!(
        "SELECT r.id AS id FROM botapp_genrequest r \
         JOIN {MODEL_JOIN} \
         WHERE r.status = 'queued' AND m.is_active AND m.provider IN ({providers}) \
           AND {not_an_extension} \
           AND NOT EXISTS (SELECT 1 FROM genworker_lease l WHERE l.request_id = r.id \
             AND l.worker_id IS NOT NULL AND l.lease_expires_at >= {now}) \
         ORDER BY r.created_at, r.id LIMIT {limit} {locking}"
    )
}

/// Up to `limit` claimable request ids, expired leases first, then queued
/// requests, locked against other claimers where the backend needs it.
pub(super) fn claimable(
    conn: &mut AnyConnection,
    providers: &[&str],
    now: UtcTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let kind = conn.kind();
    // One claim statement, bound to (`now`, its limit).
    let mut select = |sql: String, limit: i64| -> QueryResult<Vec<i64>> {
        let rows: Vec<Id> = diesel::sql_query(sql)
            .bind::<DateTimeField, _>(now)
            .bind::<BigInt, _>(limit)
            .load(conn)?;
        Ok(rows.into_iter().map(|row| row.id).collect())
    };
    let providers = provider_list(providers);
    let mut ids = select(expired_sql(&providers, kind), limit)?;
    let left = limit - ids.len() as i64;
    if left > 0 {
        ids.extend(select(queued_sql(&providers, kind), left)?);
    }
    Ok(ids)
}
