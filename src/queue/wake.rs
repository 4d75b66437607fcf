//! Cross-replica wake-ups on PostgreSQL: a replica that received a provider's
//! callback for a task it does not run NOTIFYs the others (SQLite has no
//! NOTIFY: one host, and the fallback poll covers a second process).

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::{Database, DbError};

/// NOTIFYs `genworker_callback` with `payload` (`<provider>/<task key>`).
pub async fn notify_callback(db: &Database, payload: &str) -> Result<(), DbError> {
    let Database::Postgres(pool) = db else {
        return Ok(());
    };
    let pool = pool.clone();
    let payload = payload.to_owned();
    crate::db::blocking(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        diesel::sql_query("SELECT pg_notify('genworker_callback', $1)")
            .bind::<Text, _>(payload)
            .execute(&mut conn)
            .map(drop)
            .map_err(DbError::from)
    })
    .await
}
