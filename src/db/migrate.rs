//! The embedded migrations (`migrations/postgres/`, `migrations/sqlite/`, same
//! names in both), applying them, and checking without writing that they are applied.

use std::collections::BTreeSet;

use diesel::backend::Backend as DieselBackend;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::live::{ColumnDefaults, Dialect, InsertRow, ReadColumns, Report, Tables, needs};
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
                    apply(conn, POSTGRES, Dialect::Postgres, &defaults)
                })
            })
            .await
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || {
                let conn: &mut SqliteConnection = &mut *pool.get().map_err(DbError::from)?;
                conn.queue_transaction(|conn| apply(conn, SQLITE, Dialect::Sqlite, &defaults))
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

/// What `genworker migrate --check` reports; reading it changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaCheck {
    /// Migrations `migrate` would apply.
    pub pending: Vec<String>,
    /// What stops genworker (tables `migrate` would create are not missing).
    pub report: Report,
    /// What the Kling seed would do, when its migration is pending.
    pub seed: Option<Seed>,
}

/// Checks the database as `migrate` and every other command would, writing nothing.
pub async fn check(db: &Database, defaults: &ColumnDefaults) -> Result<SchemaCheck, DbError> {
    let defaults = defaults.clone();
    match db {
        Database::Postgres(pool) => {
            let pool = pool.clone();
            blocking(move || check_on(&mut *pool.get()?, Dialect::Postgres, &defaults)).await
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || check_on(&mut *pool.get()?, Dialect::Sqlite, &defaults)).await
        }
    }
}

fn check_on<C>(
    conn: &mut C,
    dialect: Dialect,
    defaults: &ColumnDefaults,
) -> Result<SchemaCheck, DbError>
where
    C: Unapplied + ReadColumns + SeedOps,
{
    let pending = conn.unapplied()?;
    let creates_tables = pending.iter().any(|name| name == FIRST_MIGRATION);
    let columns = conn.read_columns(&needs::TABLES)?;
    let (_, mut report) = Tables::check(columns, dialect, defaults);
    if creates_tables {
        report
            .problems
            .retain(|problem| !problem.is_missing_table());
    }
    let seed = if pending.iter().any(|name| name == SEED_MIGRATION) {
        Some(conn.seed_refusal()?.unwrap_or(Seed::Inserted))
    } else {
        None
    };
    Ok(SchemaCheck {
        pending,
        report,
        seed,
    })
}

/// The migration that creates the botapp tables where missing.
const FIRST_MIGRATION: &str = "0001_botapp_tables";

/// Names of the embedded migrations not yet applied, read without writing.
trait Unapplied {
    fn unapplied(&mut self) -> Result<Vec<String>, DbError>;
}

impl Unapplied for PgConnection {
    fn unapplied(&mut self) -> Result<Vec<String>, DbError> {
        let applied = if postgres_has_applied_table(self)? {
            applied_versions(self)?
        } else {
            BTreeSet::new()
        };
        pending_names::<diesel::pg::Pg>(POSTGRES, &applied)
    }
}

impl Unapplied for SqliteConnection {
    fn unapplied(&mut self) -> Result<Vec<String>, DbError> {
        let applied = if sqlite_has_applied_table(self)? {
            applied_versions(self)?
        } else {
            BTreeSet::new()
        };
        pending_names::<diesel::sqlite::Sqlite>(SQLITE, &applied)
    }
}

fn apply<C, B>(
    conn: &mut C,
    migrations: EmbeddedMigrations,
    dialect: Dialect,
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
            let tables = Tables::read_on(conn, dialect, defaults)?.map_err(MigrateError::Schema)?;
            let seed = conn.seed(&tables).map_err(|error| MigrateError::Failed {
                name: name.clone(),
                cause: one_line(&error.to_string()),
            })?;
            migrated.seed = Some(seed);
        }
        migrated.applied.push(name);
    }
    Tables::read_on(conn, dialect, defaults)?.map_err(MigrateError::Schema)?;
    Ok(migrated)
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

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn postgres_has_applied_table(conn: &mut PgConnection) -> QueryResult<bool> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_tables \
         WHERE tablename = '__diesel_schema_migrations' AND schemaname = current_schema()",
    )
    .get_result(conn)?;
    Ok(row.n > 0)
}

fn sqlite_has_applied_table(conn: &mut SqliteConnection) -> QueryResult<bool> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master \
         WHERE type = 'table' AND name = '__diesel_schema_migrations'",
    )
    .get_result(conn)?;
    Ok(row.n > 0)
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
