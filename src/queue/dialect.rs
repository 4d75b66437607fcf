//! Where the queue's SQL differs per backend (besides the bind placeholders,
//! [`BackendKind::placeholder`], and the PostgreSQL-only advisory locks and
//! NOTIFY of `workers.rs` and `wake.rs`): the claim's row locking (PostgreSQL
//! `FOR UPDATE … SKIP LOCKED`; SQLite relies on `BEGIN IMMEDIATE`), the JSON
//! key test, and the batch writes PostgreSQL does in one `UPDATE … FROM
//! unnest(…)` (one round trip for the batch) where SQLite updates each row
//! (in-process, no round trip to save).

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};

use super::status;
use crate::db::types::{DateTimeField, JsonDoc, UtcTime};
use crate::db::{AnyConnection, BackendKind};
use crate::schema::botapp_genrequest as req;

/// How a backend's queue SQL differs from the other's.
pub(super) struct Dialect {
    /// What ends a claim's SELECT to lock the rows it takes.
    pub(super) locking: &'static str,
    /// "This JSON column holds an object with that key".
    pub(super) has_key: fn(&str, &str) -> String,
}

/// PostgreSQL: rows locked and skipped by other claimers.
const POSTGRES: Dialect = Dialect {
    locking: "FOR UPDATE OF r SKIP LOCKED",
    has_key: pg_has_key,
};

/// SQLite: the transaction's write lock already excludes
/// other claimers.
const SQLITE: Dialect = Dialect {
    locking: "",
    has_key: sqlite_has_key,
};

impl Dialect {
    /// The dialect of a backend.
    pub(super) fn of(kind: BackendKind) -> &'static Dialect {
        match kind {
            BackendKind::Postgres => &POSTGRES,
            BackendKind::Sqlite => &SQLITE,
        }
    }
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

/// Locks request rows, in id order, until the transaction ends (PostgreSQL;
/// SQLite's write lock already covers them). Every writer locks the requests
/// before their leases, as the claim does, so they cannot deadlock.
pub(super) fn lock_requests(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<()> {
    let AnyConnection::Postgresql(conn) = conn else {
        return Ok(());
    };
    req::table
        .filter(req::id.eq_any(ids))
        .order(req::id)
        .select(req::id)
        .for_update()
        .load::<i64>(conn)
        .map(drop)
}

/// Writes each request's provider task id (`(request, task id)`, at most one
/// per request).
pub(super) fn set_task_ids(conn: &mut AnyConnection, rows: &[(i64, &str)]) -> QueryResult<()> {
    let AnyConnection::Postgresql(pg) = conn else {
        for (id, task_id) in rows {
            diesel::update(req::table.find(*id))
                .set(req::provider_job_id.eq(*task_id))
                .execute(conn)?;
        }
        return Ok(());
    };
    if rows.is_empty() {
        return Ok(());
    }
    let (ids, task_ids): (Vec<i64>, Vec<&str>) = rows.iter().copied().unzip();
    diesel::sql_query(
        "UPDATE botapp_genrequest AS r SET provider_job_id = v.task_id \
         FROM unnest($1::bigint[], $2::text[]) AS v(id, task_id) WHERE r.id = v.id",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Array<Text>, _>(task_ids)
    .execute(pg)
    .map(drop)
}

/// What a finished request's row gets besides `done` and the completion time;
/// each field is the `botapp_genrequest` column of that name.
pub(super) struct DoneRow {
    pub id: i64,
    pub result_urls: serde_json::Value,
    pub file_sizes: serde_json::Value,
    pub duration: Option<i32>,
    pub video_resolution: String,
    pub aspect_ratio: String,
    pub generation_params: serde_json::Value,
    pub provider_job_id: String,
    pub provider_metadata: serde_json::Value,
    pub processing_time: Option<f64>,
}

/// Sets finished requests `done` at `completed` (call inside a queue transaction,
/// the rows locked; at most one row per request).
pub(super) fn write_done(
    conn: &mut AnyConnection,
    rows: Vec<DoneRow>,
    completed: UtcTime,
) -> QueryResult<()> {
    let AnyConnection::Postgresql(pg) = conn else {
        for row in rows {
            diesel::update(req::table.find(row.id))
                .set((
                    req::status.eq(status::DONE),
                    req::result_urls.eq(JsonDoc(row.result_urls)),
                    req::file_sizes.eq(JsonDoc(row.file_sizes)),
                    req::duration.eq(row.duration),
                    req::video_resolution.eq(&row.video_resolution),
                    req::aspect_ratio.eq(&row.aspect_ratio),
                    req::generation_params.eq(JsonDoc(row.generation_params)),
                    req::provider_job_id.eq(&row.provider_job_id),
                    req::provider_metadata.eq(JsonDoc(row.provider_metadata)),
                    req::completed_at.eq(Some(completed)),
                    req::processing_time.eq(row.processing_time),
                ))
                .execute(conn)?;
        }
        return Ok(());
    };
    if rows.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE botapp_genrequest AS r SET status = $1, completed_at = $2, \
           result_urls = v.result_urls::jsonb, file_sizes = v.file_sizes::jsonb, \
           duration = v.duration, video_resolution = v.video_resolution, \
           aspect_ratio = v.aspect_ratio, generation_params = v.generation_params::jsonb, \
           provider_job_id = v.provider_job_id, \
           provider_metadata = v.provider_metadata::jsonb, \
           processing_time = v.processing_time \
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::integer[], $7::text[], \
           $8::text[], $9::text[], $10::text[], $11::text[], $12::float8[]) \
           AS v(id, result_urls, file_sizes, duration, video_resolution, aspect_ratio, \
             generation_params, provider_job_id, provider_metadata, processing_time) \
         WHERE r.id = v.id",
    )
    .bind::<Text, _>(status::DONE)
    .bind::<DateTimeField, _>(completed)
    .bind::<Array<BigInt>, _>(column(&rows, |row| row.id))
    .bind::<Array<Text>, _>(column(&rows, |row| row.result_urls.to_string()))
    .bind::<Array<Text>, _>(column(&rows, |row| row.file_sizes.to_string()))
    .bind::<Array<Nullable<Integer>>, _>(column(&rows, |row| row.duration))
    .bind::<Array<Text>, _>(column(&rows, |row| row.video_resolution.as_str()))
    .bind::<Array<Text>, _>(column(&rows, |row| row.aspect_ratio.as_str()))
    .bind::<Array<Text>, _>(column(&rows, |row| row.generation_params.to_string()))
    .bind::<Array<Text>, _>(column(&rows, |row| row.provider_job_id.as_str()))
    .bind::<Array<Text>, _>(column(&rows, |row| row.provider_metadata.to_string()))
    .bind::<Array<Nullable<Double>>, _>(column(&rows, |row| row.processing_time))
    .execute(pg)
    .map(drop)
}

/// One column of `rows`: an `unnest` parameter.
fn column<'a, T>(rows: &'a [DoneRow], value: impl Fn(&'a DoneRow) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}
