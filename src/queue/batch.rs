//! Fenced writes of many requests in one transaction: the daemon's hot path (task
//! ids and finished videos) pays one commit and one model-statistics update per
//! batch instead of one per request. Each write is still fenced on its own
//! (worker, attempt): the rows are locked in id order, their lease holders read
//! in one query, and only the writes whose lease is still held apply.
//! Call every function here inside a queue transaction.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde_json::json;

use super::dialect::{DoneRow, set_task_ids, write_done};
use super::fence::holders_of;
use super::progress::{POINTS_PER_RESULT, award};
use super::stats::add_times;
use super::{Fenced, Success, kept_seconds, kept_text, status};
use crate::db::AnyConnection;
use crate::db::types::{JsonDoc, UtcTime};
use crate::schema::{botapp_genrequest as req, genworker_lease as lease};

/// A provider task id to save.
#[derive(Debug, Clone)]
pub struct TaskIdWrite {
    /// The request.
    pub request_id: i64,
    /// The claim that created the task.
    pub attempt: i32,
    /// The provider's task id.
    pub task_id: String,
}

/// A finished video to write.
#[derive(Debug, Clone)]
pub struct CompletionWrite {
    /// The request.
    pub request_id: i64,
    /// The claim that produced the video.
    pub attempt: i32,
    /// What to write.
    pub success: Success,
}

/// A request's duration, resolution and aspect ratio, in their columns and in
/// its `generation_params`.
#[derive(Debug, Queryable)]
struct RequestValues {
    duration: Option<i32>,
    video_resolution: String,
    aspect_ratio: String,
    generation_params: JsonDoc,
}

impl RequestValues {
    /// As the bot's `complete_generation` leaves them: each value the video has
    /// written into its column and copied into `generation_params`; the others kept.
    fn with(mut self, done: &Success) -> Self {
        let duration = kept_seconds(done.duration, self.duration);
        let resolution = kept_text(&done.video_resolution, &self.video_resolution).to_owned();
        let aspect_ratio = kept_text(&done.aspect_ratio, &self.aspect_ratio).to_owned();
        if let Some(params) = self.generation_params.0.as_object_mut() {
            if let Some(seconds) = done.duration.filter(|seconds| *seconds != 0) {
                params.insert("duration".into(), json!(seconds));
            }
            if !done.video_resolution.is_empty() {
                params.insert("resolution".into(), json!(done.video_resolution));
            }
            if !done.aspect_ratio.is_empty() {
                params.insert("aspect_ratio".into(), json!(done.aspect_ratio));
            }
        }
        Self {
            duration,
            video_resolution: resolution,
            aspect_ratio,
            ..self
        }
    }
}

/// Saves task ids; one verdict per write, in order.
pub fn save_task_ids(
    conn: &mut AnyConnection,
    worker: &str,
    writes: &[TaskIdWrite],
) -> QueryResult<Vec<Fenced>> {
    let ids: Vec<i64> = writes.iter().map(|w| w.request_id).collect();
    let holders = holders_of(conn, &ids)?;
    let mut verdicts = Vec::with_capacity(writes.len());
    // request → the task id it ends with (a later write for the same
    // request in this batch replaces an earlier one)
    let mut applied: BTreeMap<i64, &str> = BTreeMap::new();
    for write in writes {
        let verdict = holders.task_id_verdict(write.request_id, worker, write.attempt);
        if verdict == Fenced::Applied {
            applied.insert(write.request_id, &write.task_id);
        }
        verdicts.push(verdict);
    }
    let rows: Vec<(i64, &str)> = applied.into_iter().collect();
    set_task_ids(conn, &rows)?;
    Ok(verdicts)
}

/// Writes finished videos, the models' statistics, the users' experience
/// (when `botapp_usersettings` exists: `progress`) and (for outcomes nobody is
/// to be told about) the settled leases; one verdict per write, in order.
pub fn complete_all(
    conn: &mut AnyConnection,
    worker: &str,
    writes: &[CompletionWrite],
    progress: bool,
) -> QueryResult<Vec<Fenced>> {
    let ids: Vec<i64> = writes.iter().map(|w| w.request_id).collect();
    let mut holders = holders_of(conn, &ids)?;
    let mut values: HashMap<i64, RequestValues> = req::table
        .filter(req::id.eq_any(&ids))
        .select((
            req::id,
            (
                req::duration,
                req::video_resolution,
                req::aspect_ratio,
                req::generation_params,
            ),
        ))
        .load::<(i64, RequestValues)>(conn)?
        .into_iter()
        .collect();
    let now = UtcTime::now();
    let mut verdicts = Vec::with_capacity(writes.len());
    // model id → the processing times of its videos, in completion order
    let mut times: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    // user id → experience earned
    let mut points: BTreeMap<i64, i32> = BTreeMap::new();
    let mut settled = Vec::new();
    let mut done_rows = Vec::new();
    for write in writes {
        let id = write.request_id;
        let verdict = holders.verdict(id, worker, write.attempt);
        // Applied means the row is there, locked, with its values read.
        let (Fenced::Applied, Some(holder), Some(current)) =
            (verdict, holders.get_mut(id), values.remove(&id))
        else {
            verdicts.push(match verdict {
                Fenced::Applied => Fenced::NotProcessing,
                refused => refused,
            });
            continue;
        };
        verdicts.push(verdict);
        // A second write for the same request in one batch finds it done.
        holder.status = status::DONE.to_owned();
        // As the bot: no start time, no processing time, no average.
        let seconds = holder
            .started
            .map(|started| now.seconds_since(started).max(0.0));
        let done = &write.success;
        let shown = current.with(done);
        done_rows.push(DoneRow {
            id,
            result_urls: json!([done.result_url]),
            file_sizes: json!([done.file_size]),
            duration: shown.duration,
            video_resolution: shown.video_resolution,
            aspect_ratio: shown.aspect_ratio,
            generation_params: shown.generation_params.0,
            provider_job_id: done.provider_job_id.clone(),
            provider_metadata: done.provider_metadata.clone(),
            processing_time: seconds,
        });
        if let (Some(model), Some(seconds)) = (holder.model, seconds) {
            times.entry(model).or_default().push(seconds);
        }
        if let (Some(user), true) = (holder.user, progress) {
            *points.entry(user).or_default() += POINTS_PER_RESULT * i32::from(holder.quantity);
        }
        if !done.notify {
            settled.push(id);
        }
    }
    write_done(conn, done_rows, now)?;
    // Every writer, the bot's own request creation included, takes rows
    // in one order: requests, balances, users' settings, models (each
    // kind in id order), so none can deadlock another.
    for (user, earned) in points {
        award(conn, user, earned, now)?;
    }
    for (model, seconds) in &times {
        add_times(conn, *model, seconds)?;
    }
    if !settled.is_empty() {
        diesel::update(
            lease::table
                .filter(lease::request_id.eq_any(&settled))
                .filter(lease::worker_id.eq(worker)),
        )
        .set((
            lease::worker_id.eq(None::<String>),
            lease::delivered.eq(true),
            lease::updated_at.eq(now),
        ))
        .execute(conn)?;
    }
    Ok(verdicts)
}
