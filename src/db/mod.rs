//! The database: PostgreSQL or SQLite, picked at run time by `DATABASE_URL`.
//!
//! Every query is written once against [`AnyConnection`]. Diesel is synchronous,
//! so every query runs on a pooled connection inside `spawn_blocking` (the
//! [`with_conn!`] macro), never on the async executor.

mod connect;
mod connection;
pub mod live;
pub mod migrate;
pub mod types;
mod url;

use std::time::Duration;

use diesel::r2d2::Pool;

use connection::Target;
pub use connection::{AnyConnection, AnyManager, BackendKind, MultiBackend};
pub use url::{DatabaseUrl, DatabaseUrlError};

/// How long to wait for a connection before reporting the database unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be made.
    #[error("cannot connect to the database {url}: {reason}")]
    Unreachable {
        /// The database, password hidden.
        url: String,
        /// What the driver said.
        reason: String,
    },
    /// The SQLite file does not exist (only `migrate` creates it).
    #[error("the database file {0} does not exist; run `genworker migrate` to create it")]
    MissingFile(String),
    /// The schema is older than this binary.
    #[error(
        "the database is not migrated (pending migrations: {}); run `genworker migrate`",
        pending.join(", ")
    )]
    NotMigrated {
        /// Names of the embedded migrations not yet applied.
        pending: Vec<String>,
    },
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A query failed.
    #[error("database error: {}", query_cause(.0))]
    Query(#[from] diesel::result::Error),
    /// The pool gave no connection in time.
    #[error("no database connection available: {}", one_line(&.0.to_string()))]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The daemon's batched writer is gone (the daemon is stopping).
    #[error("the batched database writer stopped")]
    WriterStopped,
    /// The blocking task running a query panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A connection pool for one of the two backends.
#[derive(Clone)]
pub struct Database {
    pool: Pool<AnyManager>,
    kind: BackendKind,
}

/// Whether opening may create a missing SQLite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `migrate`: create the file when it does not exist.
    CreateIfMissing,
    /// Everything else: the file must exist.
    MustExist,
}

impl Database {
    /// Opens a pool of up to `pool_size` connections and checks that one can be made.
    pub async fn open(url: &DatabaseUrl, mode: OpenMode, pool_size: u32) -> Result<Self, DbError> {
        let url = url.clone();
        tokio::task::spawn_blocking(move || Self::open_blocking(&url, mode, pool_size)).await?
    }

    fn open_blocking(url: &DatabaseUrl, mode: OpenMode, pool_size: u32) -> Result<Self, DbError> {
        let unreachable = |reason: String| DbError::Unreachable {
            url: url.to_string(),
            reason: url.hide_password(&reason),
        };
        let (target, kind) = match url {
            DatabaseUrl::Postgres { .. } => {
                let conn_str = url.postgres_connection_string().unwrap_or_default();
                (Target::Postgres(conn_str.to_owned()), BackendKind::Postgres)
            }
            DatabaseUrl::Sqlite(path) => {
                if mode == OpenMode::MustExist && !path.exists() {
                    return Err(DbError::MissingFile(path.display().to_string()));
                }
                let uri = url::sqlite_uri(path, mode == OpenMode::CreateIfMissing);
                (Target::Sqlite(uri), BackendKind::Sqlite)
            }
        };
        let manager = AnyManager::new(target);
        connect::first_connection(manager.clone()).map_err(unreachable)?;
        // Failed attempts surface once, in the error of the first `get`, not as log noise.
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(0))
            .connection_timeout(CONNECT_TIMEOUT)
            .error_handler(Box::new(diesel::r2d2::NopErrorHandler))
            .build_unchecked(manager);
        Ok(Self { pool, kind })
    }

    /// Which backend this is.
    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// The pool (for [`with_conn!`]).
    pub fn pool(&self) -> &Pool<AnyManager> {
        &self.pool
    }
}

/// Driver messages span several lines; errors are printed as one.
/// A failed query's cause on one line: the kind of database error (a lost
/// connection, a constraint) and the server's message with its detail.
fn query_cause(error: &diesel::result::Error) -> String {
    use diesel::result::{DatabaseErrorKind as Kind, Error};
    let Error::DatabaseError(kind, info) = error else {
        return one_line(&error.to_string());
    };
    let kind = match kind {
        Kind::ClosedConnection => "connection closed",
        Kind::UnableToSendCommand => "cannot send the command",
        Kind::UniqueViolation => "unique violation",
        Kind::ForeignKeyViolation => "foreign key violation",
        Kind::NotNullViolation => "not-null violation",
        Kind::CheckViolation => "check violation",
        Kind::RestrictViolation => "restrict violation",
        Kind::SerializationFailure => "serialization failure",
        Kind::ReadOnlyTransaction => "read-only transaction",
        _ => "error",
    };
    let mut cause = format!("{kind}: {}", one_line(info.message()));
    if let Some(details) = info.details() {
        cause = format!("{cause} ({})", one_line(details));
    }
    cause
}

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `$body` with `$conn` bound to a pooled `&mut AnyConnection` on the
/// blocking thread pool. `$body` must evaluate to `Result<T, E>` where
/// `E: From<DbError>`.
#[macro_export]
macro_rules! with_conn {
    ($db:expr, |$conn:ident| $body:expr) => {{
        let pool = $db.pool().clone();
        $crate::db::blocking(move || {
            let mut pooled = pool.get().map_err($crate::db::DbError::from)?;
            let $conn: &mut $crate::db::AnyConnection = &mut pooled;
            $body
        })
        .await
    }};
}

/// Runs a blocking database closure off the async executor.
pub async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| E::from(DbError::Task(error)))?
}
