//! The registry of running daemons (`genworker_worker`): each registers itself
//! with the key of a lock only a live process holds, beats, and leaves; a
//! claimer takes over the leases of a worker whose lock is free (its process
//! died, or its session did) at once instead of waiting for them to expire.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use crate::db::types::UtcTime;
use crate::db::{AnyConnection, BackendKind, Database, DbError};
use crate::schema::{
    botapp_genrequest as req, genworker_lease as lease, genworker_worker as worker,
};
use crate::with_conn;

/// A registered daemon.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct WorkerRow {
    /// Its worker id (the leases' `worker_id`).
    pub id: String,
    /// Its host name.
    pub host: String,
    /// Its process id on that host.
    pub pid: i32,
    /// Its boot id and pid namespace: workers with equal ones see each other's
    /// pids ("" when unknown).
    pub process_space: String,
    /// The key of the lock it holds while it lives.
    pub lock_key: i64,
}

/// A registered daemon and whether its PostgreSQL advisory lock is free.
#[derive(Debug, Clone, QueryableByName)]
pub struct PgWorker {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    host: String,
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Text)]
    process_space: String,
    #[diesel(sql_type = BigInt)]
    lock_key: i64,
    /// No session holds its lock: its process or its connection is gone.
    #[diesel(sql_type = Bool)]
    pub lock_free: bool,
}

impl PgWorker {
    /// The daemon's row.
    pub fn row(self) -> WorkerRow {
        WorkerRow {
            id: self.id,
            host: self.host,
            pid: self.pid,
            process_space: self.process_space,
            lock_key: self.lock_key,
        }
    }
}

/// Which of a dead worker's leases a takeover expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takeover {
    /// Every lease: its process is known to be gone, so nothing of it still runs.
    All,
    /// Only the leases of running requests whose own provider task id is saved
    /// (resuming one is safe whatever the worker still does); the others may be
    /// in the middle of a submit, or of telling the user, and wait for their
    /// lease to expire.
    Saved,
}

/// Registers `row` (replacing an earlier row of the same id).
pub fn register(conn: &mut AnyConnection, row: &WorkerRow, now: UtcTime) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::delete(worker::table.filter(worker::id.eq(&row.id))).execute(conn)?;
        diesel::insert_into(worker::table)
            .values((
                worker::id.eq(&row.id),
                worker::host.eq(&row.host),
                worker::pid.eq(row.pid),
                worker::process_space.eq(&row.process_space),
                worker::lock_key.eq(row.lock_key),
                worker::started_at.eq(now),
                worker::heartbeat_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    })
}

/// Records a beat; false when the row is gone or holds another key (a
/// claimer took this worker for dead).
pub fn beat(conn: &mut AnyConnection, id: &str, key: i64, now: UtcTime) -> QueryResult<bool> {
    diesel::update(
        worker::table
            .filter(worker::id.eq(id))
            .filter(worker::lock_key.eq(key)),
    )
    .set(worker::heartbeat_at.eq(now))
    .execute(conn)
    .map(|rows| rows == 1)
}

/// Removes the row (a clean stop).
pub fn unregister(conn: &mut AnyConnection, id: &str, key: i64) -> QueryResult<()> {
    diesel::delete(
        worker::table
            .filter(worker::id.eq(id))
            .filter(worker::lock_key.eq(key)),
    )
    .execute(conn)
    .map(drop)
}

/// Every other registered daemon.
pub fn others(conn: &mut AnyConnection, id: &str) -> QueryResult<Vec<WorkerRow>> {
    worker::table
        .filter(worker::id.ne(id))
        .select((
            worker::id,
            worker::host,
            worker::pid,
            worker::process_space,
            worker::lock_key,
        ))
        .load(conn)
}

/// Removes a dead worker's row, if it still holds `key`, and expires the
/// leases `takeover` names; how many, or `None` when the row had changed.
pub fn take_over(
    conn: &mut AnyConnection,
    dead: &WorkerRow,
    takeover: Takeover,
    now: UtcTime,
) -> QueryResult<Option<usize>> {
    conn.transaction(|conn| {
        let removed = diesel::delete(
            worker::table
                .filter(worker::id.eq(&dead.id))
                .filter(worker::lock_key.eq(dead.lock_key)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Ok(None);
        }
        let held = lease::table
            .filter(lease::worker_id.eq(&dead.id))
            .filter(lease::delivered.eq(false));
        let expired = match takeover {
            Takeover::All => diesel::update(held)
                .set(lease::lease_expires_at.eq(now))
                .execute(conn)?,
            Takeover::Saved => {
                // Running with a task of its own saved: not a task the
                // provider reported failed (a requeued request keeps
                // that id while its next task is submitted), and not an
                // outcome the worker may be telling the user right now.
                let resumable = diesel::dsl::exists(
                    req::table
                        .filter(req::id.eq(lease::request_id))
                        .filter(req::status.eq(super::status::PROCESSING))
                        .filter(req::provider_job_id.ne(""))
                        .filter(req::provider_job_id.ne(lease::failed_task_id)),
                );
                diesel::update(held.filter(resumable))
                    .set(lease::lease_expires_at.eq(now))
                    .execute(conn)?
            }
        };
        Ok(Some(expired))
    })
}

/// Every other registered daemon on PostgreSQL, with whether any session holds
/// its advisory lock (`pg_locks`: a bigint key is `classid` high, `objid` low,
/// `objsubid` 1, in this database).
pub fn pg_others(conn: &mut PgConnection, id: &str) -> QueryResult<Vec<PgWorker>> {
    diesel::sql_query(
        "SELECT w.id, w.host, w.pid, w.process_space, w.lock_key, NOT EXISTS (SELECT 1 FROM pg_locks l \
           WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND l.classid = (w.lock_key >> 32)::oid \
             AND l.objid = (w.lock_key & 4294967295)::oid) AS lock_free \
         FROM genworker_worker w WHERE w.id <> $1",
    )
    .bind::<Text, _>(id)
    .load(conn)
}

/// Takes the PostgreSQL session-level advisory lock `key` (held until the
/// session ends).
pub fn pg_lock(conn: &mut PgConnection, key: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(key)
        .execute(conn)
        .map(drop)
}

/// The PostgreSQL half of a takeover check, on the pool.
pub async fn pg_others_on(db: &Database, id: &str) -> Result<Vec<PgWorker>, DbError> {
    if db.kind() != BackendKind::Postgres {
        return Ok(Vec::new());
    }
    let id = id.to_owned();
    with_conn!(db, |conn| match conn {
        AnyConnection::Postgresql(conn) => pg_others(conn, &id).map_err(DbError::from),
        AnyConnection::Sqlite(_) => Ok(Vec::new()),
    })
}

impl super::QueueStore {
    /// Registers this worker as `row` (its id is this store's).
    pub async fn register_worker(&self, row: WorkerRow) -> Result<(), DbError> {
        with_conn!(self.database(), |conn| register(conn, &row, UtcTime::now())
            .map_err(DbError::from))
    }

    /// Records this worker's beat; false when its row is gone or holds another key.
    pub async fn beat_worker(&self, key: i64, now: UtcTime) -> Result<bool, DbError> {
        let id = self.worker().to_owned();
        with_conn!(self.database(), |conn| beat(conn, &id, key, now)
            .map_err(DbError::from))
    }

    /// Removes this worker's row.
    pub async fn unregister_worker(&self, key: i64) -> Result<(), DbError> {
        let id = self.worker().to_owned();
        with_conn!(self.database(), |conn| unregister(conn, &id, key)
            .map_err(DbError::from))
    }

    /// Every other registered worker.
    pub async fn other_workers(&self) -> Result<Vec<WorkerRow>, DbError> {
        let id = self.worker().to_owned();
        with_conn!(self.database(), |conn| others(conn, &id)
            .map_err(DbError::from))
    }

    /// Takes over a dead worker's leases (see [`take_over`]).
    pub async fn take_over(
        &self,
        dead: WorkerRow,
        takeover: Takeover,
    ) -> Result<Option<usize>, DbError> {
        with_conn!(self.database(), |conn| take_over(
            conn,
            &dead,
            takeover,
            UtcTime::now()
        )
        .map_err(DbError::from))
    }
}
