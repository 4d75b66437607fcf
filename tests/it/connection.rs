//! The one connection type: the transaction flavours each backend gets, and a
//! refusal rolling back what a queue transaction wrote.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use genworker::db::{AnyConnection, BackendKind, DbError};
use genworker::with_conn;

use crate::support::{TestDb, on_both_backends};

on_both_backends!(
    write_transactions_are_serializable_or_hold_the_write_lock,
    queue_transactions_read_committed_or_hold_the_write_lock,
    a_refusal_rolls_the_queue_transaction_back,
);

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

/// PostgreSQL's isolation level of the current transaction.
fn isolation(conn: &mut AnyConnection) -> QueryResult<String> {
    diesel::sql_query("SELECT current_setting('transaction_isolation') AS value")
        .get_result::<Setting>(conn)
        .map(|row| row.value)
}

/// Whether another connection to the SQLite file could take the write lock now.
fn another_writer_may_begin(url: &str) -> bool {
    let path = url.trim_start_matches("sqlite://");
    let mut other = SqliteConnection::establish(path).unwrap();
    other.batch_execute("PRAGMA busy_timeout = 0").unwrap();
    let began = other.batch_execute("BEGIN IMMEDIATE").is_ok();
    if began {
        other.batch_execute("ROLLBACK").unwrap();
    }
    began
}

/// What a transaction saw of its own flavour: PostgreSQL's isolation level, or
/// whether SQLite's write lock was free for another connection meanwhile.
async fn flavour_seen(test: &TestDb, write: bool) -> String {
    let db = test.migrated().await;
    let url = test.url().to_owned();
    let seen = move |conn: &mut AnyConnection| -> QueryResult<String> {
        match conn.kind() {
            BackendKind::Postgres => isolation(conn),
            BackendKind::Sqlite => Ok(format!(
                "others may write: {}",
                another_writer_may_begin(&url)
            )),
        }
    };
    with_conn!(db, |conn| {
        let seen = if write {
            conn.write_transaction(seen)
        } else {
            conn.queue_transaction(seen)
        };
        seen.map_err(DbError::from)
    })
    .unwrap()
}

/// Asserts the flavour a transaction saw: `postgres`'s isolation level, or
/// SQLite's write lock held.
async fn assert_flavour(test: &TestDb, write: bool, postgres: &str) {
    let seen = flavour_seen(test, write).await;
    let wanted = if test.is_postgres() {
        postgres
    } else {
        "others may write: false"
    };
    assert_eq!(seen, wanted);
}

async fn write_transactions_are_serializable_or_hold_the_write_lock(test: TestDb) {
    assert_flavour(&test, true, "serializable").await;
}

async fn queue_transactions_read_committed_or_hold_the_write_lock(test: TestDb) {
    assert_flavour(&test, false, "read committed").await;
    // Outside a transaction the lock is free again.
    if !test.is_postgres() {
        assert!(another_writer_may_begin(test.url()));
    }
}

/// A caller's own refusal, after a first write.
enum Refused {
    Checked,
    Db(DbError),
}

impl From<diesel::result::Error> for Refused {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::from(error))
    }
}

impl From<DbError> for Refused {
    fn from(error: DbError) -> Self {
        Self::Db(error)
    }
}

async fn a_refusal_rolls_the_queue_transaction_back(test: TestDb) {
    let db = test.migrated().await;
    let refused = with_conn!(db, |conn| {
        conn.queue_transaction(|conn| -> Result<(), Refused> {
        conn.batch_execute(
            "INSERT INTO genworker_worker (id, host, pid, process_space, lock_key, started_at, heartbeat_at) \
             VALUES ('w', 'h', 1, '', 7, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )?;
        Err(Refused::Checked)
    })
    });
    match refused {
        Err(Refused::Checked) => {}
        Err(Refused::Db(error)) => panic!("the database failed: {error}"),
        Ok(()) => panic!("the refusal was lost"),
    }
    let left: i64 = with_conn!(db, |conn| genworker::schema::genworker_worker::table
        .count()
        .get_result::<i64>(conn)
        .map_err(DbError::from))
    .unwrap();
    assert_eq!(left, 0, "the refused transaction's insert was rolled back");
}
