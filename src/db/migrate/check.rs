//! `genworker migrate --check`: what `migrate` would do and every problem every
//! command would refuse, read without writing anything (not even diesel's
//! bookkeeping table, nor a missing SQLite file).

use super::{FIRST_MIGRATION, SEED_MIGRATION, Unapplied};
use crate::catalog::seed::{Seed, SeedOps};
use crate::db::live::{ColumnDefaults, Report, Tables, needs};
use crate::db::{Database, DbError, blocking};

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
    match db {
        Database::Postgres(pool) => {
            let pool = pool.clone();
            blocking(move || check_on(&mut *pool.get()?, &defaults)).await
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || check_on(&mut *pool.get()?, &defaults)).await
        }
    }
}

fn check_on<C>(conn: &mut C, defaults: &ColumnDefaults) -> Result<SchemaCheck, DbError>
where
    C: Unapplied + SeedOps,
{
    let pending = conn.unapplied()?;
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
        SeedCheck::Would(conn.seed_refusal()?.unwrap_or(Seed::Inserted))
    };
    Ok(SchemaCheck {
        pending,
        report,
        fills: tables.fill_lines(),
        seed,
    })
}
