//! The embedded migrations (`migrations/postgres/`, `migrations/sqlite/`, same
//! names in both), applying them, and checking without writing that they are applied.

use std::collections::BTreeSet;

use diesel::backend::Backend as DieselBackend;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Database, DbError, blocking};

/// PostgreSQL migrations, compiled into the binary.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// SQLite migrations, compiled into the binary.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies every pending migration; returns the names of those applied, oldest first.
pub async fn run_pending(db: &Database) -> Result<Vec<String>, DbError> {
    match db {
        Database::Postgres(pool) => {
            let pool = pool.clone();
            blocking(move || apply(&mut *pool.get()?, POSTGRES)).await
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || apply(&mut *pool.get()?, SQLITE)).await
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
            blocking(move || {
                let conn: &mut PgConnection = &mut *pool.get()?;
                let applied = if postgres_has_applied_table(conn)? {
                    applied_versions(conn)?
                } else {
                    BTreeSet::new()
                };
                pending_versions::<diesel::pg::Pg>(POSTGRES, &applied)
            })
            .await?
        }
        Database::Sqlite(pool) => {
            let pool = pool.clone();
            blocking(move || {
                let conn: &mut SqliteConnection = &mut *pool.get()?;
                let applied = if sqlite_has_applied_table(conn)? {
                    applied_versions(conn)?
                } else {
                    BTreeSet::new()
                };
                pending_versions::<diesel::sqlite::Sqlite>(SQLITE, &applied)
            })
            .await?
        }
    };
    if pending.is_empty() {
        Ok(())
    } else {
        Err(DbError::NotMigrated { pending })
    }
}

fn apply<C, B>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<Vec<String>, DbError>
where
    C: MigrationHarness<B>,
    B: DieselBackend,
    EmbeddedMigrations: MigrationSource<B>,
{
    let embedded = MigrationSource::<B>::migrations(&migrations)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    Ok(embedded
        .iter()
        .filter(|migration| applied.contains(&migration.name().version()))
        .map(|migration| migration.name().to_string())
        .collect())
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

fn pending_versions<B: DieselBackend>(
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
        .map(|migration| migration.name().version().to_string())
        .filter(|version| !applied.contains(version))
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
