//! The botapp tables as this database has them, not as one release of the bot had
//! them: read from the database's catalog once at start-up ([`Tables::read`]),
//! checked against what genworker reads and writes ([`needs`]), and used to build
//! every row genworker inserts into them ([`Tables::insert`]), so that a later
//! release's NOT NULL columns are written too ([`fill`]). Reads
//! `GENWORKER_COLUMN_DEFAULTS` (through [`ColumnDefaults`]).

mod column;
mod fill;
mod introspect;
pub mod needs;
mod report;
mod row;
mod value;

pub use column::{LiveColumn, SqlKind};
pub use fill::{ColumnDefaults, KNOWN_FIELDS, KnownField, VARIABLE as COLUMN_DEFAULTS_VARIABLE};
pub use introspect::ReadColumns;
pub use report::{Problem, Report};
pub use row::{InsertRow, Row, RowError};
pub use value::{SqlValue, decimal_digits};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::{Database, DbError};
use crate::db::types::UtcTime;
use fill::{Fill, Fills};
use introspect::Columns;
use row::Statement;

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// Which SQL the database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// The live schema does not serve genworker.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Columns are missing, too narrow, of another type, or cannot be filled.
    #[error(
        "the botapp tables are not what genworker needs, so nothing was done \
         (`genworker migrate --check` prints this report):\n{0}"
    )]
    Mismatch(Report),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The botapp tables of one database, checked: their columns and how to fill
/// the columns genworker does not know.
#[derive(Debug, Clone)]
pub struct Tables {
    dialect: Dialect,
    columns: Columns,
    fills: Fills,
}

impl Tables {
    /// Reads and checks the tables of `db`; a problem stops here, before any write.
    pub async fn read(db: &Database, defaults: &ColumnDefaults) -> Result<Self, SchemaError> {
        let defaults = defaults.clone();
        let checked = match db {
            Database::Postgres(pool) => {
                let pool = pool.clone();
                super::blocking(move || {
                    Ok::<_, DbError>(Self::read_on(
                        &mut *pool.get()?,
                        Dialect::Postgres,
                        &defaults,
                    )?)
                })
                .await?
            }
            Database::Sqlite(pool) => {
                let pool = pool.clone();
                super::blocking(move || {
                    Ok::<_, DbError>(Self::read_on(
                        &mut *pool.get()?,
                        Dialect::Sqlite,
                        &defaults,
                    )?)
                })
                .await?
            }
        };
        checked.map_err(SchemaError::Mismatch)
    }

    /// Reads and checks the tables on one connection (inside `migrate`'s transaction).
    pub fn read_on<C: ReadColumns>(
        conn: &mut C,
        dialect: Dialect,
        defaults: &ColumnDefaults,
    ) -> QueryResult<Result<Self, Report>> {
        let columns = conn.read_columns(&needs::TABLES)?;
        let (tables, report) = Self::check(columns, dialect, defaults);
        Ok(if report.is_ok() {
            Ok(tables)
        } else {
            Err(report)
        })
    }

    /// The tables and every problem with them.
    pub fn check(columns: Columns, dialect: Dialect, defaults: &ColumnDefaults) -> (Self, Report) {
        let mut problems = needs::check(&columns, dialect);
        let (fills, unfilled) = fill::plan(&columns, defaults);
        problems.extend(unfilled);
        let tables = Self {
            dialect,
            columns,
            fills,
        };
        (tables, Report { problems })
    }

    /// Which SQL the database speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// One live column, if the table has it.
    pub fn column(&self, table: &str, column: &str) -> Option<&LiveColumn> {
        self.columns.get(table)?.iter().find(|c| c.name == column)
    }

    /// The columns of `table` genworker itself neither reads nor writes (a later
    /// release's), in the table's order.
    pub fn other_columns<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a LiveColumn> {
        self.columns
            .get(table)
            .into_iter()
            .flatten()
            .filter(move |column| {
                !needs::NEEDS
                    .iter()
                    .any(|need| need.table == table && need.column == column.name)
            })
    }

    /// The values of one row's [`Tables::other_columns`], as their text, in the
    /// table's order (what `models show` and `requests show` print of a later release).
    pub async fn other_fields(
        &self,
        db: &Database,
        table: &'static str,
        id: i64,
    ) -> Result<Vec<(String, Option<String>)>, DbError> {
        let queries: Vec<(String, String)> = self
            .other_columns(table)
            .map(|column| {
                let sql = format!(
                    "SELECT CAST(\"{}\" AS TEXT) AS v FROM \"{table}\" WHERE id = {}",
                    column.name,
                    self.placeholder(1)
                );
                (column.name.clone(), sql)
            })
            .collect();
        crate::with_conn!(db, |conn| {
            let mut fields = Vec::with_capacity(queries.len());
            for (column, sql) in &queries {
                let value = diesel::sql_query(sql)
                    .bind::<BigInt, _>(id)
                    .get_result::<TextValue>(conn)?;
                fields.push((column.clone(), value.v));
            }
            Ok::<_, DbError>(fields)
        })
    }

    /// A statement placeholder: `$n` on PostgreSQL, `?` on SQLite.
    pub fn placeholder(&self, n: usize) -> String {
        match self.dialect {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite => "?".to_owned(),
        }
    }

    /// The most characters a column holds (`None`: unbounded or no such column).
    pub fn max_chars(&self, table: &str, column: &str) -> Option<u32> {
        self.column(table, column)?.max_chars
    }

    /// Whole digits and decimal places a numeric column holds: its own precision
    /// and scale, else (SQLite declares none) the floor genworker needs of it.
    pub fn decimal_bounds(&self, table: &str, column: &str) -> Option<(u32, u32)> {
        if let Some((precision, scale)) = self.column(table, column)?.numeric {
            return Some((precision.saturating_sub(scale), scale));
        }
        needs::NEEDS
            .iter()
            .find(|need| need.table == table && need.column == column)
            .and_then(|need| match need.floor {
                needs::Floor::Money { whole, places } => Some((whole, places)),
                _ => None,
            })
    }

    /// Inserts `row` and returns its new id.
    pub fn insert<C: InsertRow>(&self, conn: &mut C, row: Row) -> Result<i64, RowError> {
        let table = row.table;
        let statement = Statement::insert(self.dialect, table, self.complete(row)?, None, true);
        conn.run_insert(statement)?
            .ok_or(RowError::Query(diesel::result::Error::NotFound))
    }

    /// Inserts `row` unless a row with the same `conflict` value exists.
    pub fn insert_absent<C: InsertRow>(
        &self,
        conn: &mut C,
        row: Row,
        conflict: &'static str,
    ) -> Result<(), RowError> {
        let table = row.table;
        let values = self.complete(row)?;
        conn.run_insert(Statement::insert(
            self.dialect,
            table,
            values,
            Some(conflict),
            false,
        ))
        .map(drop)
        .map_err(RowError::from)
    }

    /// The row's own values, each checked against its column, then the fills.
    fn complete(&self, row: Row) -> Result<Vec<(String, SqlValue)>, RowError> {
        let Row {
            table,
            values,
            known,
        } = row;
        let does_not_fit = |column: &str, reason: String| RowError::DoesNotFit {
            table,
            column: column.to_owned(),
            reason,
        };
        let mut complete = Vec::with_capacity(values.len());
        for (column, value) in values {
            let live = self
                .column(table, column)
                .ok_or_else(|| does_not_fit(column, "no such column".into()))?;
            if let Some(reason) = value.misfit(live) {
                return Err(does_not_fit(column, reason));
            }
            complete.push((column.to_owned(), value));
        }
        for (column, fill) in self.fills.get(table).into_iter().flatten() {
            let value = match fill {
                Fill::Operator(value) => value.clone(),
                Fill::Now => SqlValue::Time(UtcTime::now()),
                Fill::Known => known
                    .iter()
                    .find(|(name, _)| name == column)
                    .map(|(_, value)| value.clone())
                    .ok_or_else(|| RowError::NoValue {
                        table,
                        column: column.clone(),
                    })?,
            };
            if let Some(live) = self.column(table, column)
                && let Some(reason) = value.misfit(live)
            {
                return Err(does_not_fit(column, reason));
            }
            complete.push((column.clone(), value));
        }
        Ok(complete)
    }
}
