//! [`QueueStore`]: the queue operations of one worker, each on a pooled
//! connection off the async executor, each a short transaction.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

use super::batch::{CompletionWrite, TaskIdWrite, complete_all, save_task_ids};
use super::fence::fence;
use super::lease::{heartbeat, release, settle, stopped_elsewhere};
use super::refund::{RefundOutcome, refund};
use super::stats::count_error;
use super::take::{Leasing, load_jobs, take_ids};
use super::{Claimed, Failure, Fenced, GenRequest, Job, status};
use crate::db::live::Tables;
use crate::db::live::needs::USER_SETTINGS;
use crate::db::types::UtcTime;
use crate::db::{Database, DbError};
use crate::schema::{botapp_genrequest as req, genworker_lease as lease};
use crate::with_conn;

/// Leases extended per heartbeat statement.
const HEARTBEAT_CHUNK: usize = 10_000;

/// The queue as one worker sees it.
#[derive(Clone)]
pub struct QueueStore {
    db: Database,
    tables: Arc<Tables>,
    worker: Arc<str>,
}

impl QueueStore {
    /// A store on the checked `tables` of `db`, acting as `worker` (the id written
    /// into leases).
    pub fn new(db: Database, tables: Arc<Tables>, worker: impl Into<Arc<str>>) -> Self {
        Self {
            db,
            tables,
            worker: worker.into(),
        }
    }

    /// This worker's id.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Its botapp tables, as checked at start-up.
    pub fn tables(&self) -> &Arc<Tables> {
        &self.tables
    }

    /// Claims up to `limit` requests of these providers, leased for `lease_for`:
    /// expired leases first (crashed workers, retries due, undelivered outcomes),
    /// then queued requests of active models, oldest first. Each comes with its
    /// request row, model and charge check, read in the same transaction.
    pub async fn claim(
        &self,
        providers: Vec<&'static str>,
        limit: usize,
        lease_for: Duration,
    ) -> Result<Vec<Job>, DbError> {
        let worker = self.worker.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let store = self.clone();
        with_conn!(&self.db, |conn| {
            conn.queue_transaction(|conn| -> QueryResult<_> {
                let leasing = Leasing {
                    worker: &worker,
                    now: UtcTime::now(),
                    lease_for,
                };
                let ids = take_ids(conn, &providers, limit, &leasing)?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                load_jobs(conn, &ids, &store)
            })
            .map_err(DbError::from)
        })
    }

    /// Extends this worker's leases of the `running` requests (a lease whose job
    /// is gone is not extended); returns (request, attempt) of those it still holds.
    pub async fn heartbeat(
        &self,
        running: &[(i64, i32)],
        lease_for: Duration,
    ) -> Result<Vec<(i64, i32)>, DbError> {
        if running.is_empty() {
            return Ok(Vec::new());
        }
        let worker = self.worker.clone();
        let ids: Vec<i64> = running.iter().map(|(id, _)| *id).collect();
        with_conn!(&self.db, |conn| {
            let until = UtcTime::now().plus(lease_for);
            let mut held = Vec::with_capacity(ids.len());
            // SQLite binds at most 32,766 values per statement.
            for chunk in ids.chunks(HEARTBEAT_CHUNK) {
                held.extend(heartbeat(conn, &worker, chunk, until)?);
            }
            Ok(held)
        })
    }

    /// Requests this worker holds that were cancelled or set back to `queued`
    /// meanwhile, each with the attempt held and its status.
    pub async fn stopped_elsewhere(&self) -> Result<Vec<(i64, i32, String)>, DbError> {
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| stopped_elsewhere(conn, &worker)
            .map_err(DbError::from))
    }

    /// A request as it is now.
    pub async fn request(&self, id: i64) -> Result<Option<GenRequest>, DbError> {
        with_conn!(&self.db, |conn| req::table
            .find(id)
            .select(GenRequest::as_select())
            .first(conn)
            .optional()
            .map_err(DbError::from))
    }

    /// Saves provider task ids in one transaction; each applies only if this
    /// worker still owns its attempt. One verdict per write, in order.
    pub async fn save_task_ids(&self, writes: Arc<[TaskIdWrite]>) -> Result<Vec<Fenced>, DbError> {
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| conn
            .queue_transaction(|conn| save_task_ids(conn, &worker, &writes))
            .map_err(DbError::from))
    }

    /// Writes finished videos and the models' statistics in one transaction; each
    /// applies only if this worker still owns its attempt. One verdict per write.
    pub async fn complete_all(
        &self,
        writes: Arc<[CompletionWrite]>,
    ) -> Result<Vec<Fenced>, DbError> {
        let worker = self.worker.clone();
        let progress = self.tables.has_table(USER_SETTINGS);
        with_conn!(&self.db, |conn| conn
            .queue_transaction(|conn| complete_all(conn, &worker, &writes, progress))
            .map_err(DbError::from))
    }

    /// Writes the error, the model's error count and the refund in one transaction,
    /// if this worker still owns `attempt`.
    pub(super) async fn fail(
        &self,
        claimed: Claimed,
        failure: Failure,
    ) -> Result<(Fenced, Option<RefundOutcome>), DbError> {
        let (id, attempt) = (claimed.request_id, claimed.attempt);
        let worker = self.worker.clone();
        let tables = self.tables.clone();
        with_conn!(&self.db, |conn| {
            conn.queue_transaction(|conn| -> QueryResult<_> {
                if let Some(fenced) = fence(conn, id, &worker, attempt)? {
                    return Ok((fenced, None));
                }
                let now = UtcTime::now();
                let (started, model_id, charge, task_id) = req::table
                    .find(id)
                    .select((
                        req::started_at,
                        req::ai_model_id,
                        req::transaction_id,
                        req::provider_job_id,
                    ))
                    .first::<(Option<UtcTime>, Option<i64>, Option<i64>, String)>(conn)?;
                // As the bot: no start time, no processing time.
                let seconds = started.map(|started| now.seconds_since(started).max(0.0));
                diesel::update(req::table.find(id))
                    .set((
                        req::status.eq(status::ERROR),
                        req::error_message.eq(&failure.message.ru),
                        req::completed_at.eq(Some(now)),
                        req::processing_time.eq(seconds),
                    ))
                    .execute(conn)?;
                let message_en = lease::error_message_en.eq(&failure.message.en);
                if failure.task_failed && !task_id.is_empty() {
                    diesel::update(lease::table.find(id))
                        .set((
                            message_en,
                            lease::failed_task_id.eq(&task_id),
                            lease::task_round.eq(lease::task_round + 1),
                        ))
                        .execute(conn)?;
                } else {
                    diesel::update(lease::table.find(id))
                        .set(message_en)
                        .execute(conn)?;
                }
                // The balance before the model: the order every writer (the bot's
                // own request creation included) takes these rows in.
                let refund = refund(conn, &tables, id, charge, &failure.message.ru)?;
                if let Some(model_id) = model_id {
                    count_error(conn, model_id)?;
                }
                if !failure.notify {
                    settle(conn, id, &worker, attempt)?;
                }
                Ok((Fenced::Applied, Some(refund)))
            })
            .map_err(DbError::from)
        })
    }

    /// Puts a processing request back in the queue, unrefunded and without
    /// counting a failure (status `queued`, the lease let go at once): its
    /// provider refused genworker's credentials, which is the operator's problem.
    /// False when the request is no longer this attempt's.
    pub(super) async fn pause(&self, claimed: Claimed) -> Result<bool, DbError> {
        let (id, attempt) = (claimed.request_id, claimed.attempt);
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| {
            conn.queue_transaction(|conn| -> QueryResult<bool> {
                if fence(conn, id, &worker, attempt)?.is_some() {
                    return Ok(false);
                }
                diesel::update(req::table.find(id))
                    .set(req::status.eq(status::QUEUED))
                    .execute(conn)?;
                release(conn, id, &worker, attempt, Duration::ZERO, None)
            })
            .map_err(DbError::from)
        })
    }

    /// Lets the request go for `after` (a retry later, or shutdown with `after` zero);
    /// `failed` counts the message as one retryable failure.
    pub(super) async fn release(
        &self,
        claimed: Claimed,
        after: Duration,
        failed: Option<String>,
    ) -> Result<bool, DbError> {
        let (id, attempt) = (claimed.request_id, claimed.attempt);
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| release(
            conn,
            id,
            &worker,
            attempt,
            after,
            failed.as_deref()
        )
        .map_err(DbError::from))
    }

    /// Records the outcome as delivered (or abandoned) and lets the lease go.
    pub(super) async fn settle(&self, claimed: Claimed) -> Result<bool, DbError> {
        let (id, attempt) = (claimed.request_id, claimed.attempt);
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| settle(conn, id, &worker, attempt)
            .map_err(DbError::from))
    }
}
