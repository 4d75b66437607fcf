//! The embedded migrations (`migrations/postgres/`, `migrations/sqlite/`, same
//! names in both), applying them all in one transaction, and checking without
//! writing that they are applied ([`check`]: what `migrate --check` reports).

mod check;

pub use check::{SchemaCheck, SeedCheck, check};

use std::collections::BTreeSet;

use diesel::backend::Backend as DieselBackend;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::live::{ColumnDefaults, InsertRow, ReadColumns, Report, Tables, needs};
use super::{Database, DbError, blocking, one_line};
use crate::catalog::seed::{Seed, SeedOps};
use crate::queue::QueueBackend;

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
    match db {
        Database::Postgres(pool) => {
            let pool = pool.clone();
            blocking(move || {
                let conn: &mut PgConnection = &mut *pool.get().map_err(DbError::from)?;
                conn.queue_transaction(|conn| {
                    // Replicas starting together migrate one after the other.
                    diesel::sql_query("SELECT pg_advisory_xact_lock(7046111932421)")
                        .execute(conn)?;
                    apply(conn, POSTGRES, &defaults)
                })
            })
            .await
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || {
                let conn: &mut SqliteConnection = &mut *pool.get().map_err(DbError::from)?;
                conn.queue_transaction(|conn| apply(conn, SQLITE, &defaults))
            })
            .await
        }
    }
}

/// Reverts every applied migration, newest first. For tests and development
/// only (no command exposes it): reverting the first migration drops the botapp tables.
pub async fn revert_all(db: &Database) -> Result<Vec<String>, DbError> {
    match db {
        Database::Postgres(pool) => {
            let pool = pool.clone();
            blocking(move || revert(&mut *pool.get()?, POSTGRES)).await
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || revert(&mut *pool.get()?, SQLITE)).await
        }
    }
}

/// Fails with [`DbError::NotMigrated`] unless every embedded migration is applied.
/// It only reads: diesel's own check would create its bookkeeping table.
pub async fn ensure_applied(db: &Database) -> Result<(), DbError> {
    let pending = match db {
        Database::Postgres(pool) => {
            let pool = pool.clone();
            blocking(move || pool.get()?.unapplied()).await?
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || pool.get()?.unapplied()).await?
        }
    };
    if pending.is_empty() {
        Ok(())
    } else {
        Err(DbError::NotMigrated { pending })
    }
}

/// The migration that creates the botapp tables where missing.
const FIRST_MIGRATION: &str = "0001_botapp_tables";

/// Names of the embedded migrations not yet applied, read without writing.
trait Unapplied: ReadColumns {
    fn unapplied(&mut self) -> Result<Vec<String>, DbError>;
}

/// The versions diesel recorded as applied (none before its table exists).
fn applied_on<C: ReadColumns>(
    conn: &mut C,
    applied: impl FnOnce(&mut C) -> Result<BTreeSet<String>, DbError>,
) -> Result<BTreeSet<String>, DbError> {
    if conn.table_exists("__diesel_schema_migrations")? {
        applied(conn)
    } else {
        Ok(BTreeSet::new())
    }
}

impl Unapplied for PgConnection {
    fn unapplied(&mut self) -> Result<Vec<String>, DbError> {
        let applied = applied_on(self, applied_versions)?;
        pending_names::<diesel::pg::Pg>(POSTGRES, &applied)
    }
}

impl Unapplied for SqliteConnection {
    fn unapplied(&mut self) -> Result<Vec<String>, DbError> {
        let applied = applied_on(self, applied_versions)?;
        pending_names::<diesel::sqlite::Sqlite>(SQLITE, &applied)
    }
}

fn apply<C, B>(
    conn: &mut C,
    migrations: EmbeddedMigrations,
    defaults: &ColumnDefaults,
) -> Result<Migrated, MigrateError>
where
    C: MigrationHarness<B> + ReadColumns + InsertRow + SeedOps,
    B: DieselBackend,
    EmbeddedMigrations: MigrationSource<B>,
{
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
            let seed = conn.seed(&tables).map_err(|error| MigrateError::Failed {
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
fn checked<C: ReadColumns>(
    conn: &mut C,
    defaults: &ColumnDefaults,
) -> Result<(Tables, Report), MigrateError> {
    let (tables, report) = Tables::read_on(conn, defaults, &needs::INSERTED)?;
    if report.is_ok() {
        Ok((tables, report))
    } else {
        Err(MigrateError::Schema(report))
    }
}

fn revert<C, B>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<Vec<String>, DbError>
where
    C: MigrationHarness<B>,
    B: DieselBackend,
    EmbeddedMigrations: MigrationSource<B>,
{
    conn.revert_all_migrations(migrations)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|error| DbError::Migration(error.to_string()))
}

/// The names of the embedded migrations whose versions are not in `applied`.
fn pending_names<B: DieselBackend>(
    migrations: EmbeddedMigrations,
    applied: &BTreeSet<String>,
) -> Result<Vec<String>, DbError>
where
    EmbeddedMigrations: MigrationSource<B>,
{
    let embedded = MigrationSource::<B>::migrations(&migrations)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    Ok(embedded
        .iter()
        .filter(|migration| !applied.contains(&migration.name().version().to_string()))
        .map(|migration| migration.name().to_string())
        .collect())
}

diesel::table! {
    __diesel_schema_migrations (version) {
        version -> Text,
    }
}

fn applied_versions<C>(conn: &mut C) -> Result<BTreeSet<String>, DbError>
where
    C: Connection,
    __diesel_schema_migrations::table:
        diesel::query_dsl::methods::SelectDsl<__diesel_schema_migrations::version>,
    for<'a> diesel::dsl::Select<__diesel_schema_migrations::table, __diesel_schema_migrations::version>:
        diesel::query_dsl::LoadQuery<'a, C, String>,
{
    let versions = __diesel_schema_migrations::table
        .select(__diesel_schema_migrations::version)
        .load::<String>(conn)?;
    Ok(versions.into_iter().collect())
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
