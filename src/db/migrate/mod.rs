//! The embedded migrations (`migrations/postgres/`, `migrations/sqlite/`, same
//! names in both), applying them all in one transaction, and checking without
//! writing that they are applied ([`check`]: what `migrate --check` reports).

mod check;

pub use check::{SchemaCheck, SeedCheck, check};

use std::collections::BTreeSet;

use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::live::{ColumnDefaults, ReadColumns, Report, Tables, needs};
use super::{AnyConnection, BackendKind, Database, DbError, MultiBackend, one_line};
use crate::catalog::seed::{self, Seed};
use crate::with_conn;

/// PostgreSQL migrations, compiled into the binary.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// SQLite migrations, compiled into the binary.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The migration after which genworker writes the Kling seed itself.
const SEED_MIGRATION: &str = "0022_add_kling_model";

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The migrations applied, oldest first.
    pub applied: Vec<String>,
    /// What the Kling seed did, when its migration ran.
    pub seed: Option<Seed>,
}

/// Why `migrate` changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// One migration failed; the transaction of all of them was rolled back.
    #[error(
        "migration {name} failed: {cause}. Nothing was changed (all pending migrations run \
         in one transaction); fix the cause and run `genworker migrate` again"
    )]
    Failed {
        /// The migration.
        name: String,
        /// What the database said.
        cause: String,
    },
    /// The botapp tables do not serve genworker (checked before the seed and at the end).
    #[error(
        "the botapp tables are not what genworker needs, so no migration was applied \
         (`genworker migrate --check` prints this report):\n{0}"
    )]
    Schema(Report),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for MigrateError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

/// Applies every pending migration in one transaction: a failure anywhere leaves
/// the schema, the rows and the migration records as they were. The Kling seed is
/// written after `0022_add_kling_model` from the live columns (see
/// [`crate::catalog::seed`]); the botapp tables are checked before it and at the end.
pub async fn run_pending(
    db: &Database,
    defaults: &ColumnDefaults,
) -> Result<Migrated, MigrateError> {
    let defaults = defaults.clone();
    with_conn!(db, |conn| conn.queue_transaction(|conn| {
        if conn.kind() == BackendKind::Postgres {
            // Replicas starting together migrate one after the other.
            diesel::sql_query("SELECT pg_advisory_xact_lock(7046111932421)").execute(conn)?;
        }
        apply(conn, &defaults)
    }))
}

/// Reverts every applied migration, newest first. For tests and development
/// only (no command exposes it): reverting the first migration drops the botapp tables.
pub async fn revert_all(db: &Database) -> Result<Vec<String>, DbError> {
    with_conn!(db, |conn| {
        let migrations = embedded(conn);
        conn.revert_all_migrations(migrations)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| DbError::Migration(error.to_string()))
    })
}

/// Fails with [`DbError::NotMigrated`] unless every embedded migration is applied.
/// It only reads: diesel's own check would create its bookkeeping table.
pub async fn ensure_applied(db: &Database) -> Result<(), DbError> {
    let pending = with_conn!(db, |conn| unapplied(conn))?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(DbError::NotMigrated { pending })
    }
}

/// The embedded migrations of the connection's backend.
fn embedded(conn: &AnyConnection) -> EmbeddedMigrations {
    match conn.kind() {
        BackendKind::Postgres => POSTGRES,
        BackendKind::Sqlite => SQLITE,
    }
}

/// The migration that creates the botapp tables where missing.
const FIRST_MIGRATION: &str = "0001_botapp_tables";

/// Names of the embedded migrations not yet applied, read without writing
/// (none is recorded before diesel's table exists).
fn unapplied(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let applied: BTreeSet<String> = if conn.table_exists("__diesel_schema_migrations")? {
        __diesel_schema_migrations::table
            .select(__diesel_schema_migrations::version)
            .load::<String>(conn)?
            .into_iter()
            .collect()
    } else {
        BTreeSet::new()
    };
    let embedded = MigrationSource::<MultiBackend>::migrations(&embedded(conn))
        .map_err(|error| DbError::Migration(error.to_string()))?;
    Ok(embedded
        .iter()
        .filter(|migration| !applied.contains(&migration.name().version().to_string()))
        .map(|migration| migration.name().to_string())
        .collect())
}

fn apply(conn: &mut AnyConnection, defaults: &ColumnDefaults) -> Result<Migrated, MigrateError> {
    let migrations = embedded(conn);
    let pending = conn
        .pending_migrations(migrations)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    let mut migrated = Migrated {
        applied: Vec::new(),
        seed: None,
    };
    for migration in pending {
        let name = migration.name().to_string();
        conn.run_migration(migration.as_ref())
            .map_err(|error| MigrateError::Failed {
                name: name.clone(),
                cause: one_line(&error.to_string()),
            })?;
        if name == SEED_MIGRATION {
            let (tables, _) = checked(conn, defaults)?;
            let seed = seed::seed(conn, &tables).map_err(|error| MigrateError::Failed {
                name: name.clone(),
                cause: one_line(&error.to_string()),
            })?;
            migrated.seed = Some(seed);
        }
        migrated.applied.push(name);
    }
    checked(conn, defaults)?.1.log_notes();
    Ok(migrated)
}

/// The tables as every command needs them (inserts into all of them planned), or
/// the report of why they are not.
fn checked(
    conn: &mut AnyConnection,
    defaults: &ColumnDefaults,
) -> Result<(Tables, Report), MigrateError> {
    let (tables, report) = Tables::read_on(conn, defaults, &needs::INSERTED)?;
    if report.is_ok() {
        Ok((tables, report))
    } else {
        Err(MigrateError::Schema(report))
    }
}

diesel::table! {
    __diesel_schema_migrations (version) {
        version -> Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_embed_the_same_migration_names() {
        let postgres: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let sqlite: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert_eq!(postgres, sqlite);
        assert!(
            postgres
                .iter()
                .any(|name| name.ends_with("add_kling_model"))
        );
    }
}
