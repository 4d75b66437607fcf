//! Operator actions on the queue: insert a request the way the bot does
//! ([`enqueue`]), look at requests ([`list_requests`], [`count_requests`],
//! [`request_details`]), and move one by hand ([`requeue`], [`cancel`]). Every write is one queue
//! transaction that locks the request row before it touches `genworker_lease`,
//! as all queue writers do.

mod enqueue;
mod inspect;

use std::sync::Arc;

use diesel::prelude::*;

use super::dialect::lock_requests;
use super::refund::{RefundOutcome, refund};
use super::status;
use crate::db::live::{RowError, Tables};
use crate::db::types::UtcTime;
use crate::db::{Database, DbError};
use crate::i18n::Language;
use crate::schema::{
    botapp_genrequest as req, botapp_tguser as tguser, genworker_lease as lease,
    genworker_refund as refund,
};
use crate::with_conn;

pub use enqueue::{ENQUEUE_INSERTS, Enqueued, NewRequest, enqueue};
pub use inspect::{
    LeaseInfo, RefundInfo, RequestDetails, RequestRecord, RequestSummary, count_requests,
    list_requests, request_details,
};

/// Why an operator action did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No model has this slug.
    #[error("no AI model with slug `{0}` (see `genworker models list`)")]
    UnknownModel(String),
    /// image2video for a model that takes no input image.
    #[error(
        "model `{0}` does not accept an input image (supports_image_input is false), \
         so it cannot take an image2video request"
    )]
    NoImageInput(String),
    /// A value does not fit its live column (`table.column: why`).
    #[error("{0}")]
    Invalid(String),
    /// No request has this id.
    #[error("no generation request with id {0} (see `genworker requests list`)")]
    NotFound(i64),
    /// Requeue of a request that did not fail.
    #[error("request {id} is `{status}`: only a request in `error` can be requeued")]
    NotRequeueable {
        /// The request.
        id: i64,
        /// Its current status.
        status: String,
    },
    /// Requeue of a request already waiting in the queue.
    #[error(
        "request {0} is already `queued`: nothing to do; a running daemon claims it on its \
         next poll once its model is active and its provider is served (check with \
         `genworker requests show {0}` and `genworker models list`)"
    )]
    AlreadyQueued(i64),
    /// Requeue while a worker still holds the request.
    #[error(
        "request {id} is still leased by worker `{worker}` until {until}: a paid task may \
         still be running; wait until the lease expires"
    )]
    LiveLease {
        /// The request.
        id: i64,
        /// The worker holding it.
        worker: String,
        /// When its lease ends (RFC 3339).
        until: String,
    },
    /// Cancel of a request that already ended.
    #[error(
        "request {id} is already `{status}`: only a queued or processing request can be cancelled"
    )]
    NotCancellable {
        /// The request.
        id: i64,
        /// Its current status.
        status: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AdminError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl From<RowError> for AdminError {
    /// A value that does not fit its live column is the operator's input error.
    fn from(error: RowError) -> Self {
        match error {
            RowError::Query(error) => Self::from(error),
            refused => Self::Invalid(refused.to_string()),
        }
    }
}

/// A request put back in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requeued {
    /// The request.
    pub id: i64,
    /// The provider's task id kept on the request (empty when there was none):
    /// the daemon resumes that task instead of submitting a new, paid one.
    pub provider_job_id: String,
    /// Whether the provider reported that task failed: the daemon then submits
    /// a new task rather than resuming it.
    pub task_failed: bool,
    /// Whether the earlier failure was refunded (a request is refunded at most once,
    /// so a second failure gives nothing back).
    pub refunded: bool,
}

/// A cancelled request.
#[derive(Debug, Clone, PartialEq)]
pub struct Cancelled {
    /// The request.
    pub id: i64,
    /// Its status before (`queued` or `processing`).
    pub previous_status: String,
    /// What happened to its charge (`None`: `--no-refund`).
    pub refund: Option<RefundOutcome>,
    /// The chat to tell (0: none).
    pub chat_id: i64,
    /// The language of the request's user.
    pub language: Language,
}

/// Why a cancelled request is refunded, in the bot's words (`cancel_generation`).
pub const CANCEL_REASON: &str = "Генерация отменена";

/// Puts a failed request back in the queue: status `queued`, error, completion
/// time and processing time cleared, as setting the status in the Django admin
/// does (plus the clean-up). Keeps `provider_job_id` (the task is resumed, not
/// paid for again, unless the provider reported it failed), the lease (its
/// attempt number goes on, so fencing holds) and the refund record. Refused
/// unless the status is `error`, and while a worker holds a live lease.
pub async fn requeue(db: &Database, id: i64) -> Result<Requeued, AdminError> {
    with_conn!(db, |conn| {
        conn.queue_transaction(|conn| -> QueryResult<_> {
            lock_requests(conn, &[id])?;
            let Some((current, task_id)) = req::table
                .find(id)
                .select((req::status, req::provider_job_id))
                .first::<(String, String)>(conn)
                .optional()?
            else {
                return Ok(Err(AdminError::NotFound(id)));
            };
            if current == status::QUEUED {
                return Ok(Err(AdminError::AlreadyQueued(id)));
            }
            if current != status::ERROR {
                return Ok(Err(AdminError::NotRequeueable {
                    id,
                    status: current,
                }));
            }
            let holder = lease::table
                .find(id)
                .select((
                    lease::worker_id,
                    lease::lease_expires_at,
                    lease::failed_task_id,
                ))
                .first::<(Option<String>, UtcTime, String)>(conn)
                .optional()?;
            let task_failed = holder
                .as_ref()
                .is_some_and(|(_, _, failed)| !failed.is_empty() && *failed == task_id);
            if let Some((Some(worker), until, _)) = holder
                && until > UtcTime::now()
            {
                let until = until.0.to_rfc3339();
                return Ok(Err(AdminError::LiveLease { id, worker, until }));
            }
            diesel::update(req::table.find(id))
                .set((
                    req::status.eq(status::QUEUED),
                    req::error_message.eq(""),
                    req::completed_at.eq(None::<UtcTime>),
                    req::processing_time.eq(None::<f64>),
                ))
                .execute(conn)?;
            let refunded = refund::table.find(id).count().get_result::<i64>(conn)? > 0;
            Ok(Ok(Requeued {
                id,
                provider_job_id: task_id,
                task_failed,
                refunded,
            }))
        })?
    })
}

/// Cancels a queued or processing request as the bot's `cancel_generation` does:
/// status `cancelled`, `completed_at` = now, and the
/// charge given back (`give_back`) with the reason `Генерация отменена`, once ever
/// (a request refunded before is not refunded again). A worker holding it stops polling and
/// writes nothing more. Ended requests are refused.
pub async fn cancel(
    db: &Database,
    tables: &Arc<Tables>,
    id: i64,
    give_back: bool,
) -> Result<Cancelled, AdminError> {
    let tables = tables.clone();
    with_conn!(db, |conn| {
        conn.queue_transaction(|conn| -> Result<Cancelled, AdminError> {
            lock_requests(conn, &[id])?;
            let (current, charge, chat_id, user) = req::table
                .find(id)
                .select((req::status, req::transaction_id, req::chat_id, req::user_id))
                .first::<(String, Option<i64>, i64, Option<i64>)>(conn)
                .optional()?
                .ok_or(AdminError::NotFound(id))?;
            if current != status::QUEUED && current != status::PROCESSING {
                return Err(AdminError::NotCancellable {
                    id,
                    status: current,
                });
            }
            diesel::update(req::table.find(id))
                .set((
                    req::status.eq(status::CANCELLED),
                    req::completed_at.eq(Some(UtcTime::now())),
                ))
                .execute(conn)?;
            let refund = if give_back {
                Some(refund(conn, &tables, id, charge, CANCEL_REASON)?)
            } else {
                None
            };
            let code = match user {
                Some(user) => tguser::table
                    .find(user)
                    .select(tguser::language_code.nullable())
                    .first::<Option<String>>(conn)
                    .optional()?
                    .flatten(),
                None => None,
            };
            Ok(Cancelled {
                id,
                previous_status: current,
                refund,
                chat_id,
                language: Language::from_code(code.as_deref()),
            })
        })
    })
}
