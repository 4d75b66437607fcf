//! The queue: every SQL statement genworker runs against `botapp_genrequest` and
//! its own `genworker_lease`/`genworker_refund` tables. Claims take leases; a
//! heartbeat extends them; expired leases are reclaimed by any worker; every write
//! of a result is fenced on the (worker, attempt) that owns the lease. Every
//! writer takes rows in one order — requests, users' balances, users' settings,
//! models — the order of the bot's own request creation too, so none deadlocks.

pub mod admin;
pub(crate) mod balance;
mod batch;
mod claim;
mod depth;
mod done_rows;
mod fence;
mod finish;
mod job;
mod lease;
mod lease_handle;
pub(crate) mod progress;
pub(crate) mod refund;
pub mod request;
pub mod stats;
mod store;
mod take;
pub mod wake;
pub mod workers;

use diesel::connection::Connection;
use diesel::result::Error;
use diesel::{PgConnection, RunQueryDsl, SqliteConnection};

pub use admin::{AdminError, ENQUEUE_INSERTS, Enqueued, NewRequest, enqueue};
pub use batch::{CompletionWrite, TaskIdWrite};
pub use depth::{QueueDepth, leases_due, queue_depth};
pub use finish::{Failure, Success, kept_seconds, kept_text};
pub use job::{Charge, Earlier, FailedTask, Job};
pub use lease_handle::Lease;
pub use refund::{ChargeError, REFUND_INSERTS, RefundOutcome};
pub use request::{GenRequest, status};
pub use store::QueueStore;

/// A request this worker claimed: what its [`Lease`] knows of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Claimed {
    /// The request.
    request_id: i64,
    /// The claim number, the fencing token of every later write.
    attempt: i32,
    /// Retryable failures so far.
    failures: i32,
}

/// Whether a fenced write applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fenced {
    /// It did.
    Applied,
    /// Another worker owns the request now (our lease expired): nothing written.
    LostLease,
    /// The request is no longer processing (cancelled, or set back to `queued`):
    /// nothing written.
    NotProcessing,
}

impl Fenced {
    /// The outcome, as one word for logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::LostLease => "lost_lease",
            Self::NotProcessing => "not_processing",
        }
    }
}

/// Connection-level differences the queue needs.
pub trait QueueBackend: claim::ClaimSql {
    /// A transaction for queue writes: SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`); PostgreSQL runs READ COMMITTED with row locks.
    /// A returned error rolls everything back: a diesel error, or the caller's own
    /// refusal (`E`), so a check that fails after a first write leaves nothing behind.
    fn queue_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>;

    /// Locks request rows, in id order, until the transaction ends (PostgreSQL;
    /// SQLite's write lock already covers them). Every writer locks the requests
    /// before their leases, as the claim does, so they cannot deadlock.
    fn lock_requests(&mut self, ids: &[i64]) -> Result<(), Error>;

    /// Writes each request's provider task id (`(request, task id)`, at most one
    /// per request): one statement on PostgreSQL, one per row on SQLite (its
    /// statements cost no round trip).
    fn set_task_ids(&mut self, rows: &[(i64, &str)]) -> Result<(), Error>;
}

impl QueueBackend for PgConnection {
    fn queue_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.transaction(work)
    }

    fn lock_requests(&mut self, ids: &[i64]) -> Result<(), Error> {
        use crate::schema::botapp_genrequest as req;
        use diesel::{ExpressionMethods, QueryDsl};
        req::table
            .filter(req::id.eq_any(ids))
            .order(req::id)
            .select(req::id)
            .for_update()
            .load::<i64>(self)
            .map(drop)
    }

    fn set_task_ids(&mut self, rows: &[(i64, &str)]) -> Result<(), Error> {
        use diesel::RunQueryDsl;
        use diesel::sql_types::{Array, BigInt, Text};
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
        .execute(self)
        .map(drop)
    }
}

impl QueueBackend for SqliteConnection {
    fn queue_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.immediate_transaction(work)
    }

    fn lock_requests(&mut self, _ids: &[i64]) -> Result<(), Error> {
        Ok(())
    }

    fn set_task_ids(&mut self, rows: &[(i64, &str)]) -> Result<(), Error> {
        use crate::schema::botapp_genrequest as req;
        use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
        for (id, task_id) in rows {
            diesel::update(req::table.find(*id))
                .set(req::provider_job_id.eq(*task_id))
                .execute(self)?;
        }
        Ok(())
    }
}
