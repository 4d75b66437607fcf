//! The one connection type every query is written against: diesel's
//! `MultiConnection` over PostgreSQL and SQLite (as vaultwarden does), its pool
//! manager, and the two transaction flavours, the only connection-level
//! difference between the backends.

use diesel::connection::{
    AnsiTransactionManager, Connection, SimpleConnection, TransactionManager,
};
use diesel::r2d2::{Error as PoolError, ManageConnection, R2D2Connection};
use diesel::result::Error;
use diesel::{PgConnection, SqliteConnection};

/// A connection to whichever backend `DATABASE_URL` names. Queries are written
/// once against it; where the SQL must differ, code matches on the variant or
/// on [`AnyConnection::kind`]: the queue's SQL in `queue/dialect.rs`, the
/// transaction flavours here, reading the catalog (`db/live/introspect.rs`),
/// the migration set, and PostgreSQL's own advisory locks and NOTIFY.
///
/// Make one through [`AnyManager`], never with `AnyConnection::establish` or
/// diesel's `ConnectionManager<AnyConnection>`: those try each backend in turn
/// and would open an unreachable PostgreSQL URL as a SQLite file.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL.
    Postgresql(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// Which backend a connection (or a [`super::Database`]) talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl BackendKind {
    /// The `n`th (1-based) bound parameter of a statement: `$n`, or SQLite's `?n`.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Self::Postgres => format!("${n}"),
            Self::Sqlite => format!("?{n}"),
        }
    }
}

impl AnyConnection {
    /// The backend this connection talks to.
    pub fn kind(&self) -> BackendKind {
        match self {
            Self::Postgresql(_) => BackendKind::Postgres,
            Self::Sqlite(_) => BackendKind::Sqlite,
        }
    }

    /// Runs `work` in a transaction that may read and then write without losing a
    /// concurrent update: SQLite takes the write lock up front (`BEGIN IMMEDIATE`);
    /// PostgreSQL runs it `SERIALIZABLE`, so a concurrent change makes it fail.
    /// It must be the outermost transaction (`AlreadyInTransaction` otherwise);
    /// diesel's `transaction` inside it is a savepoint.
    pub fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.transaction_begun_with(
            "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "BEGIN IMMEDIATE",
            work,
        )
    }

    /// A transaction for queue writes: SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`); PostgreSQL runs READ COMMITTED with row locks.
    /// A returned error rolls everything back: a diesel error, or the caller's own
    /// refusal (`E`), so a check that fails after a first write leaves nothing behind.
    /// It must be the outermost transaction (`AlreadyInTransaction` otherwise);
    /// diesel's `transaction` inside it is a savepoint.
    pub fn queue_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.transaction_begun_with("BEGIN", "BEGIN IMMEDIATE", work)
    }

    /// diesel's `transaction`, begun with the backend's own statement (the inner
    /// connection's transaction manager keeps the depth, as diesel's own
    /// `build_transaction` and `immediate_transaction` do).
    fn transaction_begun_with<T, E, F>(
        &mut self,
        postgres: &str,
        sqlite: &str,
        work: F,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        match self {
            Self::Postgresql(conn) => {
                AnsiTransactionManager::begin_transaction_sql(conn, postgres)?
            }
            Self::Sqlite(conn) => AnsiTransactionManager::begin_transaction_sql(conn, sqlite)?,
        }
        match work(self) {
            Ok(value) => {
                <Self as TransactionManager<Self>>::commit_transaction(self)?;
                Ok(value)
            }
            Err(refusal) => match <Self as TransactionManager<Self>>::rollback_transaction(self) {
                Ok(()) | Err(Error::BrokenTransactionManager) => Err(refusal),
                Err(rollback) => Err(rollback.into()),
            },
        }
    }
}

/// Where a pool's connections go (never printed: a PostgreSQL connection
/// string may hold its password).
#[derive(Clone)]
pub(super) enum Target {
    /// A libpq connection string.
    Postgres(String),
    /// A SQLite `file:` URI.
    Sqlite(String),
}

/// The pool's connection maker. diesel's own `ConnectionManager<AnyConnection>`
/// tries each backend in turn, so a PostgreSQL URL it cannot reach would be
/// opened as a SQLite file of that name; this one connects to its target only,
/// and gives each new SQLite connection its pragmas.
#[derive(Clone)]
pub struct AnyManager {
    target: Target,
}

/// The backend only: the target's connection string may hold a password.
impl std::fmt::Debug for AnyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.target {
            Target::Postgres(_) => BackendKind::Postgres,
            Target::Sqlite(_) => BackendKind::Sqlite,
        };
        f.debug_struct("AnyManager")
            .field("backend", &backend)
            .finish_non_exhaustive()
    }
}

impl AnyManager {
    /// A manager making connections to `target`.
    pub(super) fn new(target: Target) -> Self {
        Self { target }
    }
}

impl ManageConnection for AnyManager {
    type Connection = AnyConnection;
    type Error = PoolError;

    fn connect(&self) -> Result<AnyConnection, PoolError> {
        match &self.target {
            Target::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(PoolError::ConnectionError),
            Target::Sqlite(uri) => {
                let mut conn =
                    SqliteConnection::establish(uri).map_err(PoolError::ConnectionError)?;
                sqlite_pragmas(&mut conn).map_err(PoolError::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), PoolError> {
        conn.ping().map_err(PoolError::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Per-connection SQLite settings: Django's foreign keys on, WAL so readers never
/// block the writer, and a busy timeout instead of immediate `SQLITE_BUSY` errors.
fn sqlite_pragmas(conn: &mut SqliteConnection) -> Result<(), Error> {
    conn.batch_execute(
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
         PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manager_prints_its_backend_never_its_connection_string() {
        let manager = AnyManager::new(Target::Postgres(
            "postgres://genworker:s3cret@db.internal/bot".to_owned(),
        ));
        let printed = format!("{manager:?}");
        assert!(printed.contains("Postgres"), "{printed}");
        assert!(!printed.contains("s3cret"), "password printed: {printed}");
        assert!(!printed.contains("db.internal"), "host printed: {printed}");
    }
}
