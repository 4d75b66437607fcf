//! Reading the columns of the botapp tables from the database's own catalog:
//! one `information_schema` query on PostgreSQL, one `pragma_table_info` per
//! table on SQLite. A table that does not exist has no entry.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text};
use diesel::{PgConnection, SqliteConnection};

use super::column::{LiveColumn, postgres_type, sqlite_type};
use crate::db::AnyConnection;

/// The columns of each table that exists, in the table's own order.
pub type Columns = BTreeMap<String, Vec<LiveColumn>>;

/// Reads the catalog on a connection: each backend from its own catalog.
pub trait ReadColumns {
    /// The columns of those of `tables` that exist (in the current schema).
    fn read_columns(&mut self, tables: &[&str]) -> QueryResult<Columns>;

    /// Whether a table (or view) of this name exists (in the current schema).
    fn table_exists(&mut self, table: &str) -> QueryResult<bool>;

    /// Whether the database reads `text` as a value of `sql_type` (tried in a
    /// savepoint, so a refusal leaves an open transaction usable).
    fn accepts(&mut self, text: &str, sql_type: &str) -> QueryResult<bool>;
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    max_chars: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    precision: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    scale: Option<i32>,
    #[diesel(sql_type = Bool)]
    nullable: bool,
    #[diesel(sql_type = Bool)]
    has_default: bool,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
    #[diesel(sql_type = Bool)]
    has_default: bool,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    found: bool,
}

impl ReadColumns for AnyConnection {
    fn read_columns(&mut self, tables: &[&str]) -> QueryResult<Columns> {
        match self {
            Self::Postgresql(conn) => conn.read_columns(tables),
            Self::Sqlite(conn) => conn.read_columns(tables),
        }
    }

    fn table_exists(&mut self, table: &str) -> QueryResult<bool> {
        match self {
            Self::Postgresql(conn) => conn.table_exists(table),
            Self::Sqlite(conn) => conn.table_exists(table),
        }
    }

    fn accepts(&mut self, text: &str, sql_type: &str) -> QueryResult<bool> {
        match self {
            Self::Postgresql(conn) => conn.accepts(text, sql_type),
            Self::Sqlite(conn) => conn.accepts(text, sql_type),
        }
    }
}

impl ReadColumns for PgConnection {
    fn read_columns(&mut self, tables: &[&str]) -> QueryResult<Columns> {
        let names: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
        let rows: Vec<PgColumn> = diesel::sql_query(
            "SELECT table_name::text, column_name::text, udt_name::text, \
                    character_maximum_length::int AS max_chars, \
                    numeric_precision::int AS precision, numeric_scale::int AS scale, \
                    is_nullable = 'YES' AS nullable, \
                    (column_default IS NOT NULL OR is_identity = 'YES' \
                     OR is_generated = 'ALWAYS') AS has_default \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ANY($1) \
             ORDER BY table_name, ordinal_position",
        )
        .bind::<Array<Text>, _>(names)
        .load(self)?;
        let mut columns = Columns::new();
        for row in rows {
            let (kind, declared, max_chars, numeric) =
                postgres_type(&row.udt_name, row.max_chars, row.precision, row.scale);
            columns.entry(row.table_name).or_default().push(LiveColumn {
                name: row.column_name,
                kind,
                declared,
                max_chars,
                numeric,
                nullable: row.nullable,
                has_default: row.has_default,
            });
        }
        Ok(columns)
    }

    fn table_exists(&mut self, table: &str) -> QueryResult<bool> {
        diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relname = $1 \
             AND c.relkind IN ('r', 'p', 'v', 'm', 'f')) AS found",
        )
        .bind::<Text, _>(table)
        .get_result::<Exists>(self)
        .map(|row| row.found)
    }

    fn accepts(&mut self, text: &str, sql_type: &str) -> QueryResult<bool> {
        let sql = format!(
            "SELECT CAST($1 AS {}) IS NOT NULL AS found",
            quoted_type(sql_type)
        );
        let tried = self.transaction(|conn| {
            diesel::sql_query(&sql)
                .bind::<Text, _>(text)
                .get_result::<Exists>(conn)
        });
        match tried {
            Ok(_) => Ok(true),
            Err(diesel::result::Error::DatabaseError(..)) => Ok(false),
            Err(other) => Err(other),
        }
    }
}

/// A PostgreSQL type name as an identifier (a mixed-case enum's name included).
pub fn quoted_type(sql_type: &str) -> String {
    format!("\"{}\"", sql_type.replace('"', "\"\""))
}

impl ReadColumns for SqliteConnection {
    fn read_columns(&mut self, tables: &[&str]) -> QueryResult<Columns> {
        let mut columns = Columns::new();
        for table in tables {
            let rows: Vec<SqliteColumn> = diesel::sql_query(
                "SELECT name, type AS declared, \"notnull\" <> 0 AS not_null, \
                        dflt_value IS NOT NULL AS has_default, pk \
                 FROM pragma_table_info(?) ORDER BY cid",
            )
            .bind::<Text, _>(*table)
            .load(self)?;
            if rows.is_empty() {
                continue;
            }
            let live = rows
                .into_iter()
                .map(|row| {
                    let (kind, declared, max_chars, numeric) = sqlite_type(&row.declared);
                    // An INTEGER PRIMARY KEY is the rowid: SQLite numbers it.
                    let rowid = row.pk == 1 && declared == "integer";
                    LiveColumn {
                        name: row.name,
                        kind,
                        declared,
                        max_chars,
                        numeric,
                        nullable: !row.not_null && row.pk == 0,
                        has_default: row.has_default || rowid,
                    }
                })
                .collect();
            columns.insert((*table).to_owned(), live);
        }
        Ok(columns)
    }

    fn table_exists(&mut self, table: &str) -> QueryResult<bool> {
        diesel::sql_query(
            "SELECT count(*) > 0 AS found FROM sqlite_master \
             WHERE type IN ('table', 'view') AND name = ?",
        )
        .bind::<Text, _>(table)
        .get_result::<Exists>(self)
        .map(|row| row.found)
    }

    /// SQLite stores any text in any column.
    fn accepts(&mut self, _text: &str, _sql_type: &str) -> QueryResult<bool> {
        Ok(true)
    }
}
