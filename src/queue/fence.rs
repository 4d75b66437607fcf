//! The one fence of every result write: lock the requests (in id order, as every
//! writer does), read who holds each in one query, and let a write apply only
//! while its (worker, attempt) still owns a processing request.

use std::collections::HashMap;

use diesel::prelude::*;

use super::{Fenced, dialect, status};
use crate::db::AnyConnection;
use crate::db::types::UtcTime;
use crate::schema::{botapp_genrequest as req, genworker_lease as lease};

/// Who holds a request now, read under its row lock, with what a completion
/// writes besides the request itself.
pub(super) struct Holder {
    /// The request's status (a batch that finishes it sets it `done` here too).
    pub(super) status: String,
    worker: Option<String>,
    attempt: Option<i32>,
    /// When it started processing.
    pub(super) started: Option<UtcTime>,
    /// Its model.
    pub(super) model: Option<i64>,
    /// Its user.
    pub(super) user: Option<i64>,
    /// How many videos it asked for.
    pub(super) quantity: i16,
}

impl Holder {
    /// `None` when `worker` still owns `attempt` of a processing request.
    fn refuses(&self, worker: &str, attempt: i32) -> Option<Fenced> {
        if self.worker.as_deref() != Some(worker) || self.attempt != Some(attempt) {
            Some(Fenced::LostLease)
        } else if self.status != status::PROCESSING {
            Some(Fenced::NotProcessing)
        } else {
            None
        }
    }
}

/// The holders of locked requests, by request id.
pub(super) struct Holders(HashMap<i64, Holder>);

impl Holders {
    /// Whether a write of `worker`'s `attempt` may apply: a request that vanished
    /// counts as not processing.
    pub(super) fn verdict(&self, id: i64, worker: &str, attempt: i32) -> Fenced {
        match self.0.get(&id) {
            Some(holder) => holder.refuses(worker, attempt).unwrap_or(Fenced::Applied),
            None => Fenced::NotProcessing,
        }
    }

    /// As [`Holders::verdict`], except that a request set back to `queued` still
    /// takes the id of the task its holder just created: the next claim resumes
    /// that task instead of paying for another (a task id is a fact whatever the
    /// status).
    pub(super) fn task_id_verdict(&self, id: i64, worker: &str, attempt: i32) -> Fenced {
        match (self.verdict(id, worker, attempt), self.0.get(&id)) {
            (Fenced::NotProcessing, Some(holder)) if holder.status == status::QUEUED => {
                Fenced::Applied
            }
            (verdict, _) => verdict,
        }
    }

    /// The holder of one request, to update as a batch writes it.
    pub(super) fn get_mut(&mut self, id: i64) -> Option<&mut Holder> {
        self.0.get_mut(&id)
    }
}

/// A holder's columns as read.
type HolderRow = (
    String,
    Option<String>,
    Option<i32>,
    Option<UtcTime>,
    Option<i64>,
    Option<i64>,
    i16,
);

/// Locks the requests and reads who holds each (call inside a queue transaction).
pub(super) fn holders_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Holders> {
    dialect::lock_requests(conn, ids)?;
    let rows = req::table
        .left_join(lease::table)
        .filter(req::id.eq_any(ids))
        .select((
            req::id,
            (
                req::status,
                lease::worker_id.nullable(),
                lease::attempt.nullable(),
                req::started_at,
                req::ai_model_id,
                req::user_id,
                req::quantity,
            ),
        ))
        .load::<(i64, HolderRow)>(conn)?;
    let holders = rows
        .into_iter()
        .map(
            |(id, (status, worker, attempt, started, model, user, quantity))| {
                let holder = Holder {
                    status,
                    worker,
                    attempt,
                    started,
                    model,
                    user,
                    quantity,
                };
                (id, holder)
            },
        )
        .collect();
    Ok(Holders(holders))
}

/// Locks one request and checks `worker`'s `attempt` of it: `Some` when the
/// write must not happen (call inside a queue transaction).
pub(super) fn fence(
    conn: &mut AnyConnection,
    id: i64,
    worker: &str,
    attempt: i32,
) -> QueryResult<Option<Fenced>> {
    let verdict = holders_of(conn, &[id])?.verdict(id, worker, attempt);
    Ok((verdict != Fenced::Applied).then_some(verdict))
}
