//! `genworker migrate --check`: what `migrate` would do and every problem every
//! command would refuse, read without writing anything (not even diesel's
//! bookkeeping table, nor a missing SQLite file).

use super::{FIRST_MIGRATION, SEED_MIGRATION, unapplied};
use crate::catalog::seed::{self, Seed};
use crate::db::live::{ColumnDefaults, Report, Tables, needs};
use crate::db::{AnyConnection, Database, DbError};
use crate::with_conn;

/// What the Kling seed would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedCheck {
    /// Its migration is applied: nothing.
    Done,
    /// It would insert `kling-v1`, or not, and why.
    Would(Seed),
    /// It cannot tell until the report's problems with `botapp_aimodel` are fixed.
    Undecided,
}

/// What `genworker migrate --check` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaCheck {
    /// Migrations `migrate` would apply.
    pub pending: Vec<String>,
    /// What stops genworker (tables `migrate` would create are not missing).
    pub report: Report,
    /// What every insert writes into the columns genworker does not know.
    pub fills: Vec<String>,
    /// What the Kling seed would do.
    pub seed: SeedCheck,
}

/// Checks the database as `migrate` and every other command would, writing nothing.
pub async fn check(db: &Database, defaults: &ColumnDefaults) -> Result<SchemaCheck, DbError> {
    let defaults = defaults.clone();
    with_conn!(db, |conn| check_on(conn, &defaults))
}

fn check_on(conn: &mut AnyConnection, defaults: &ColumnDefaults) -> Result<SchemaCheck, DbError> {
    let pending = unapplied(conn)?;
    let (tables, mut report) = Tables::read_on(conn, defaults, &needs::INSERTED)?;
    if pending.iter().any(|name| name == FIRST_MIGRATION) {
        report
            .problems
            .retain(|problem| !problem.is_missing_table());
    }
    let seed = if !pending.iter().any(|name| name == SEED_MIGRATION) {
        SeedCheck::Done
    } else if report.problems.iter().any(|p| p.table == "botapp_aimodel") {
        SeedCheck::Undecided
    } else {
        SeedCheck::Would(seed::seed_refusal(conn)?.unwrap_or(Seed::Inserted))
    };
    Ok(SchemaCheck {
        pending,
        report,
        fills: tables.fill_lines(),
        seed,
    })
}
