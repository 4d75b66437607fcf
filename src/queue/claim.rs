//! Claiming: the one place where the queue's SQL differs per backend, as a
//! [`Dialect`]: placeholders, row locking (PostgreSQL `FOR UPDATE … SKIP
//! LOCKED`; SQLite relies on `BEGIN IMMEDIATE`) and the JSON key test.

use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::query_dsl::LoadQuery;
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType};
use diesel::{PgConnection, SqliteConnection};

use crate::db::Database;
use crate::db::types::{DateTimeField, UtcTime};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// How a backend's queue SQL differs from the other's.
pub(super) struct Dialect {
    /// A statement's first and second bind parameters.
    pub(super) params: [&'static str; 2],
    /// What ends a claim's SELECT to lock the rows it takes.
    locking: &'static str,
    /// "This JSON column holds an object with that key".
    pub(super) has_key: fn(&str, &str) -> String,
}

/// PostgreSQL: `$n` parameters, rows locked and skipped by other claimers.
const POSTGRES: Dialect = Dialect {
    params: ["$1", "$2"],
    locking: "FOR UPDATE OF r SKIP LOCKED",
    has_key: pg_has_key,
};

/// SQLite: `?n` parameters; the transaction's write lock already excludes
/// other claimers.
const SQLITE: Dialect = Dialect {
    params: ["?1", "?2"],
    locking: "",
    has_key: sqlite_has_key,
};

impl Dialect {
    /// The dialect of `db`'s backend.
    pub(super) fn of(db: &Database) -> &'static Dialect {
        match db {
            Database::Postgres(_) => &POSTGRES,
            Database::Sqlite(_) => &SQLITE,
        }
    }
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
fn expired_sql(providers: &str, dialect: &Dialect) -> String {
    let ([now, limit], locking) = (dialect.params, dialect.locking);
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

/// PostgreSQL's `jsonb` key test: an object with that key. Written with `?`,
/// not as `(column -> 'key') IS NOT NULL` (the same answer): the planner has no
/// statistics for that expression and guesses 0.5 % of rows pass its negation,
/// so it sorted every queued row per claim (220 ms at 50,000 queued) instead of
/// walking the queued index to the claim's LIMIT (1 ms).
fn pg_has_key(column: &str, key: &str) -> String {
    format!("COALESCE(jsonb_typeof({column}) = 'object' AND {column} ? '{key}', false)")
}

/// SQLite's JSON key test (`json_type` is `'null'` for a JSON null, NULL when absent).
fn sqlite_has_key(column: &str, key: &str) -> String {
    format!("(json_type({column}, '$.{key}') IS NOT NULL)")
}

/// Queued requests of active models, oldest first, whatever their history: new
/// ones, and ones set back to `queued` (by the Django admin, SQL, the bot, or a
/// paused provider) whose lease no live worker holds. A worker still holding one
/// lets it go at its next heartbeat. The bot's extension requests are left to it.
fn queued_sql(providers: &str, dialect: &Dialect) -> String {
    let ([now, limit], locking) = (dialect.params, dialect.locking);
    let not_an_extension = not_an_extension(dialect.has_key);
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

/// The per-backend half of a claim: which rows to take.
pub trait ClaimSql: Connection {
    /// Up to `limit` claimable request ids, locked against other claimers where needed.
    fn claimable(&mut self, providers: &[&str], now: UtcTime, limit: i64) -> QueryResult<Vec<i64>>;
}

impl ClaimSql for PgConnection {
    fn claimable(&mut self, providers: &[&str], now: UtcTime, limit: i64) -> QueryResult<Vec<i64>> {
        claimable(self, &POSTGRES, providers, now, limit)
    }
}

impl ClaimSql for SqliteConnection {
    fn claimable(&mut self, providers: &[&str], now: UtcTime, limit: i64) -> QueryResult<Vec<i64>> {
        claimable(self, &SQLITE, providers, now, limit)
    }
}

/// Expired leases first, then queued requests, up to `limit` in all.
fn claimable<C>(
    conn: &mut C,
    dialect: &Dialect,
    providers: &[&str],
    now: UtcTime,
    limit: i64,
) -> QueryResult<Vec<i64>>
where
    C: Connection,
    C::Backend: HasSqlType<DateTimeField> + HasSqlType<BigInt>,
    UtcTime: ToSql<DateTimeField, C::Backend>,
    i64: ToSql<BigInt, C::Backend>,
    for<'a> BoxedSqlQuery<'a, C::Backend, SqlQuery>: LoadQuery<'a, C, Id>,
{
    // One claim statement, bound to (`now`, its limit).
    let select = |conn: &mut C, sql: String, limit: i64| -> QueryResult<Vec<i64>> {
        let rows: Vec<Id> = diesel::sql_query(sql)
            .into_boxed::<C::Backend>()
            .bind::<DateTimeField, _>(now)
            .bind::<BigInt, _>(limit)
            .load(conn)?;
        Ok(rows.into_iter().map(|row| row.id).collect())
    };
    let providers = provider_list(providers);
    let mut ids = select(conn, expired_sql(&providers, dialect), limit)?;
    let left = limit - ids.len() as i64;
    if left > 0 {
        ids.extend(select(conn, queued_sql(&providers, dialect), left)?);
    }
    Ok(ids)
}
