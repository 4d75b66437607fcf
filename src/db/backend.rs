//! What differs between the two backends, behind one trait implemented for both
//! connection types, so that code inside [`crate::with_conn!`] stays shared.

use diesel::connection::Connection;
use diesel::result::Error;
use diesel::{PgConnection, SqliteConnection};

/// Backend-specific operations shared code calls on a connection.
pub trait Backend: Connection {
    /// Runs `work` in a transaction that may read and then write without losing a
    /// concurrent update: SQLite takes the write lock up front (`BEGIN IMMEDIATE`);
    /// PostgreSQL runs it `SERIALIZABLE`, so a concurrent change makes it fail.
    fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>;
}

impl Backend for PgConnection {
    fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.build_transaction().serializable().run(work)
    }
}

impl Backend for SqliteConnection {
    fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.immediate_transaction(work)
    }
}
