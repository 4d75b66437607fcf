//! Cross-replica wake-ups on PostgreSQL: a replica that received a provider's
//! callback for a task it does not run NOTIFYs the others (SQLite has no
//! NOTIFY: one host, and the fallback poll covers a second process).

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::{BackendKind, Database, DbError};
use crate::with_conn;

/// NOTIFYs `genworker_callback` with `payload` (`<provider>/<task key>`).
pub async fn notify_callback(db: &Database, payload: &str) -> Result<(), DbError> {
    if db.kind() != BackendKind::Postgres {
        return Ok(());
    }
    let payload = payload.to_owned();
    with_conn!(db, |conn| diesel::sql_query(
        "SELECT pg_notify('genworker_callback', $1)"
    )
    .bind::<Text, _>(payload)
    .execute(conn)
    .map(drop)
    .map_err(DbError::from))
}
