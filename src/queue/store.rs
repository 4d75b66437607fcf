//! [`QueueStore`]: the queue operations of one worker, each on a pooled
//! connection off the async executor, each a short transaction.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::balance::money;
use super::batch::{BatchOps, CompletionWrite, TaskIdWrite};
use super::claim::ClaimSql;
use super::lease::LeaseOps;
use super::refund::{RefundOps, RefundOutcome, refundable};
use super::stats::StatsOps;
use super::{Claimed, ClaimedJob, FailedTask, Failure, Fenced, GenRequest, QueueBackend, status};
use crate::catalog::AiModel;
use crate::db::live::Tables;
use crate::db::live::needs::USER_SETTINGS;
use crate::db::types::UtcTime;
use crate::db::{Database, DbError};
use crate::i18n::Language;
use crate::message::ChargeFacts;
use crate::schema::{
    botapp_aimodel as model, botapp_genrequest as req, botapp_tguser as tguser,
    botapp_transaction as tx, genworker_lease as lease,
};
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
    ) -> Result<Vec<ClaimedJob>, DbError> {
        let worker = self.worker.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        with_conn!(&self.db, |conn| {
            conn.queue_transaction(|conn| -> QueryResult<_> {
                let now = UtcTime::now();
                let ids = conn.claimable(&providers, now, limit)?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                // A queued row starts now: one row version for status and start.
                let queued: Vec<i64> = diesel::update(
                    req::table
                        .filter(req::id.eq_any(&ids))
                        .filter(req::status.eq(status::QUEUED)),
                )
                .set((
                    req::status.eq(status::PROCESSING),
                    req::started_at.eq(Some(now)),
                ))
                .returning(req::id)
                .get_results(conn)?;
                // A reclaimed row keeps its first start; one someone else set
                // processing without a start gets one.
                diesel::update(
                    req::table
                        .filter(req::id.eq_any(&ids))
                        .filter(req::started_at.is_null()),
                )
                .set(req::started_at.eq(Some(now)))
                .execute(conn)?;
                // A request set back to `queued` after its run ended (its outcome
                // delivered) starts afresh: its attempt number goes on (fencing,
                // below), its failures and its earlier outcome do not. One paused
                // or bumped while it ran keeps its failures. Only leases of earlier
                // claims exist yet: new rows are not written twice.
                diesel::update(
                    lease::table
                        .filter(lease::request_id.eq_any(&queued))
                        .filter(lease::delivered),
                )
                .set((
                    lease::failures.eq(0),
                    lease::last_error.eq(""),
                    lease::error_message_en.eq(""),
                    lease::delivered.eq(false),
                ))
                .execute(conn)?;
                let expires = now.plus(lease_for);
                let rows: Vec<_> = ids
                    .iter()
                    .map(|id| {
                        (
                            lease::request_id.eq(*id),
                            lease::worker_id.eq(Some(&*worker)),
                            lease::attempt.eq(1),
                            lease::failures.eq(0),
                            lease::lease_expires_at.eq(expires),
                            lease::last_error.eq(""),
                            lease::delivered.eq(false),
                            lease::updated_at.eq(now),
                        )
                    })
                    .collect();
                diesel::insert_into(lease::table)
                    .values(&rows)
                    .on_conflict(lease::request_id)
                    .do_update()
                    .set((
                        lease::worker_id.eq(excluded(lease::worker_id)),
                        lease::attempt.eq(lease::attempt + 1),
                        lease::lease_expires_at.eq(excluded(lease::lease_expires_at)),
                        lease::updated_at.eq(excluded(lease::updated_at)),
                    ))
                    .execute(conn)?;
                let claims = lease::table
                    .filter(lease::request_id.eq_any(&ids))
                    .select((
                        (lease::request_id, lease::attempt, lease::failures),
                        lease::error_message_en,
                        (lease::failed_task_id, lease::task_round),
                    ))
                    .load::<((i64, i32, i32), String, (String, i32))>(conn)?;
                let mut requests: HashMap<i64, GenRequest> = req::table
                    .filter(req::id.eq_any(&ids))
                    .select(GenRequest::as_select())
                    .load::<GenRequest>(conn)?
                    .into_iter()
                    .map(|request| (request.id, request))
                    .collect();
                let model_ids: BTreeSet<i64> =
                    requests.values().filter_map(|r| r.ai_model_id).collect();
                let models: HashMap<i64, Arc<AiModel>> = model::table
                    .filter(model::id.eq_any(&model_ids))
                    .select(AiModel::as_select())
                    .load::<AiModel>(conn)?
                    .into_iter()
                    .map(|found| (found.id, Arc::new(found)))
                    .collect();
                let charge_ids: BTreeSet<i64> =
                    requests.values().filter_map(|r| r.transaction_id).collect();
                let charges: HashMap<i64, (i64, BigDecimal, BigDecimal)> = tx::table
                    .filter(tx::id.eq_any(&charge_ids))
                    .select((tx::id, tx::user_id, tx::amount, tx::balance_after))
                    .load::<(i64, i64, BigDecimal, BigDecimal)>(conn)?
                    .into_iter()
                    .map(|(id, user, amount, after)| (id, (user, amount, after)))
                    .collect();
                // Read as nullable: Django's column is NOT NULL, but a NULL written
                // by hand must not stop the claim.
                let user_ids: BTreeSet<i64> = requests.values().filter_map(|r| r.user_id).collect();
                let languages: HashMap<i64, Option<String>> = tguser::table
                    .filter(tguser::id.eq_any(&user_ids))
                    .select((tguser::id, tguser::language_code.nullable()))
                    .load::<(i64, Option<String>)>(conn)?
                    .into_iter()
                    .collect();
                Ok(claims
                    .into_iter()
                    .filter_map(
                        |((request_id, attempt, failures), error_message_en, tasks)| {
                            let request = requests.remove(&request_id)?;
                            let model = request.ai_model_id.and_then(|id| models.get(&id).cloned());
                            let language = Language::from_code(
                                request
                                    .user_id
                                    .and_then(|id| languages.get(&id))
                                    .and_then(Option::as_deref),
                            );
                            let found = request.transaction_id.and_then(|id| charges.get(&id));
                            let charge = match request.transaction_id {
                                None => Ok(()),
                                Some(charge) => refundable(
                                    charge,
                                    found.map(|(user, amount, _)| (*user, amount.clone())),
                                )
                                .map(drop),
                            };
                            let charged = found.map(|(_, amount, after)| ChargeFacts {
                                amount: money(amount),
                                balance_after: money(after),
                            });
                            Some(ClaimedJob {
                                claimed: Claimed {
                                    request_id,
                                    attempt,
                                    failures,
                                },
                                request,
                                model,
                                charge,
                                charged,
                                language,
                                error_message_en,
                                failed_task: FailedTask {
                                    task_id: tasks.0,
                                    round: tasks.1,
                                },
                            })
                        },
                    )
                    .collect())
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
                held.extend(conn.heartbeat(&worker, chunk, until)?);
            }
            Ok(held)
        })
    }

    /// Requests this worker holds that were cancelled or set back to `queued`
    /// meanwhile, each with the attempt held and its status.
    pub async fn stopped_elsewhere(&self) -> Result<Vec<(i64, i32, String)>, DbError> {
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| conn
            .stopped_elsewhere(&worker)
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
            .queue_transaction(|conn| conn.save_task_ids(&worker, &writes))
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
            .queue_transaction(|conn| conn.complete_all(&worker, &writes, progress))
            .map_err(DbError::from))
    }

    /// Writes the error, the model's error count and the refund in one transaction,
    /// if this worker still owns `attempt`.
    pub async fn fail(
        &self,
        id: i64,
        attempt: i32,
        failure: Failure,
    ) -> Result<(Fenced, Option<RefundOutcome>), DbError> {
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
                let refund = conn.refund(&tables, id, charge, &failure.message.ru)?;
                if let Some(model_id) = model_id {
                    conn.count_error(model_id)?;
                }
                if !failure.notify {
                    conn.settle(id, &worker, attempt)?;
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
    pub async fn pause(&self, id: i64, attempt: i32) -> Result<bool, DbError> {
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| {
            conn.queue_transaction(|conn| -> QueryResult<bool> {
                if fence(conn, id, &worker, attempt)?.is_some() {
                    return Ok(false);
                }
                diesel::update(req::table.find(id))
                    .set(req::status.eq(status::QUEUED))
                    .execute(conn)?;
                conn.release(id, &worker, attempt, Duration::ZERO, None)
            })
            .map_err(DbError::from)
        })
    }

    /// Lets the request go for `after` (a retry later, or shutdown with `after` zero);
    /// `failed` counts the message as one retryable failure.
    pub async fn release(
        &self,
        id: i64,
        attempt: i32,
        after: Duration,
        failed: Option<String>,
    ) -> Result<bool, DbError> {
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| conn
            .release(id, &worker, attempt, after, failed.as_deref())
            .map_err(DbError::from))
    }

    /// Records the outcome as delivered (or abandoned) and lets the lease go.
    pub async fn settle(&self, id: i64, attempt: i32) -> Result<bool, DbError> {
        let worker = self.worker.clone();
        with_conn!(&self.db, |conn| conn
            .settle(id, &worker, attempt)
            .map_err(DbError::from))
    }
}

/// Locks the request and checks ownership and status: `Some` when the write must not happen.
fn fence<C: QueueBackend + LeaseOps + StatusOf>(
    conn: &mut C,
    id: i64,
    worker: &str,
    attempt: i32,
) -> QueryResult<Option<Fenced>> {
    conn.lock_requests(&[id])?;
    if !conn.owns(id, worker, attempt)? {
        return Ok(Some(Fenced::LostLease));
    }
    if conn.status_of(id)?.as_deref() != Some(status::PROCESSING) {
        return Ok(Some(Fenced::NotProcessing));
    }
    Ok(None)
}

/// A request's status.
trait StatusOf {
    fn status_of(&mut self, id: i64) -> QueryResult<Option<String>>;
}

macro_rules! status_of {
    ($conn:ty) => {
        impl StatusOf for $conn {
            fn status_of(&mut self, id: i64) -> QueryResult<Option<String>> {
                req::table
                    .find(id)
                    .select(req::status)
                    .first(self)
                    .optional()
            }
        }
    };
}

status_of!(diesel::PgConnection);
status_of!(diesel::SqliteConnection);
