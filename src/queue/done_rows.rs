//! Writing a batch's finished requests: one `UPDATE … FROM unnest(…)` on
//! PostgreSQL (one round trip for the batch), one update per row on SQLite
//! (in-process, no round trip to save).

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
use diesel::{PgConnection, SqliteConnection};

use super::status;
use crate::db::types::{DateTimeField, JsonDoc, UtcTime};
use crate::schema::botapp_genrequest as req;

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
pub(super) trait WriteDone {
    fn write_done(&mut self, rows: Vec<DoneRow>, completed: UtcTime) -> QueryResult<()>;
}

impl WriteDone for PgConnection {
    fn write_done(&mut self, rows: Vec<DoneRow>, completed: UtcTime) -> QueryResult<()> {
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
        .execute(self)
        .map(drop)
    }
}

/// One column of `rows`: an `unnest` parameter.
fn column<'a, T>(rows: &'a [DoneRow], value: impl Fn(&'a DoneRow) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

impl WriteDone for SqliteConnection {
    fn write_done(&mut self, rows: Vec<DoneRow>, completed: UtcTime) -> QueryResult<()> {
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
                .execute(self)?;
        }
        Ok(())
    }
}
