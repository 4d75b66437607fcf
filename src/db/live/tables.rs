//! [`Tables`]: the checked botapp tables of one database, the bounds of their
//! columns, and the inserts built from them.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::fill::{self, ColumnDefaults, Fill, Fills};
use super::introspect::{Columns, ReadColumns};
use super::row::{Row, RowError, Statement, run_insert};
use super::{LiveColumn, Report, SchemaError, SqlValue, needs};
use crate::db::types::UtcTime;
use crate::db::{AnyConnection, BackendKind, Database, DbError};

/// The botapp tables of one database, checked: their columns, how to fill the
/// columns genworker does not know, and which tables this process inserts into.
#[derive(Debug, Clone)]
pub struct Tables {
    dialect: BackendKind,
    columns: Columns,
    fills: Fills,
    inserts: Vec<&'static str>,
}

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

impl Tables {
    /// Reads and checks the tables of `db` for a command that inserts rows into
    /// `inserts` (and reads or writes the others); a problem stops here, before
    /// any write. The check's notes go to the log.
    pub async fn read(
        db: &Database,
        defaults: &ColumnDefaults,
        inserts: &[&'static str],
    ) -> Result<Self, SchemaError> {
        let defaults = defaults.clone();
        let inserts = inserts.to_vec();
        let (tables, report) = crate::with_conn!(db, |conn| {
            Ok::<_, DbError>(Self::read_on(conn, &defaults, &inserts)?)
        })?;
        report.log_notes();
        if report.is_ok() {
            Ok(tables)
        } else {
            Err(SchemaError::Mismatch(report))
        }
    }

    /// Reads and checks the tables on one connection (inside `migrate`'s transaction).
    pub fn read_on(
        conn: &mut AnyConnection,
        defaults: &ColumnDefaults,
        inserts: &[&'static str],
    ) -> QueryResult<(Self, Report)> {
        let columns = conn.read_columns(&needs::TABLES)?;
        let mut problems = needs::check(&columns, conn.kind());
        let planned = fill::plan(conn, &columns, defaults)?;
        problems.extend(
            planned
                .problems
                .into_iter()
                .filter(|problem| inserts.contains(&problem.table.as_str())),
        );
        let tables = Self {
            dialect: conn.kind(),
            columns,
            fills: planned.fills,
            inserts: inserts.to_vec(),
        };
        let report = Report {
            problems,
            notes: planned.notes,
        };
        Ok((tables, report))
    }

    /// Whether the database has this table.
    pub fn has_table(&self, table: &str) -> bool {
        self.columns.contains_key(table)
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
            .filter(move |column| needs::find(table, &column.name).is_none())
    }

    /// What each insert writes into the columns genworker does not know, one line
    /// each (`botapp_genrequest.cost_usd: the request's USD cost, …`).
    pub fn fill_lines(&self) -> Vec<String> {
        self.fills
            .iter()
            .flat_map(|(table, fills)| {
                fills
                    .iter()
                    .map(move |(column, fill)| format!("{table}.{column}: {}", fill.describe()))
            })
            .collect()
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
                    self.dialect.placeholder(1)
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

    /// The most characters a column holds (`None`: unbounded or no such column).
    pub fn max_chars(&self, table: &str, column: &str) -> Option<u32> {
        self.column(table, column)?.max_chars
    }

    /// Whole digits and decimal places a numeric column holds: its own precision
    /// and scale; on SQLite, which declares none, the floor genworker needs of it.
    pub fn decimal_bounds(&self, table: &str, column: &str) -> Option<(u32, u32)> {
        if let Some((precision, scale)) = self.column(table, column)?.numeric {
            return Some((precision.saturating_sub(scale), scale));
        }
        if self.dialect == BackendKind::Postgres {
            return None;
        }
        match needs::find(table, column)?.floor {
            needs::Floor::Money { whole, places } => Some((whole, places)),
            _ => None,
        }
    }

    /// Inserts `row` and returns its new id.
    pub fn insert(&self, conn: &mut AnyConnection, row: Row) -> Result<i64, RowError> {
        let table = row.table;
        let statement = Statement::insert(self.dialect, table, self.complete(row)?, None, true);
        run_insert(conn, statement)?.ok_or(RowError::Query(diesel::result::Error::NotFound))
    }

    /// Inserts `row` unless a row with the same `conflict` value exists.
    pub fn insert_absent(
        &self,
        conn: &mut AnyConnection,
        row: Row,
        conflict: &'static str,
    ) -> Result<(), RowError> {
        let table = row.table;
        let values = self.complete(row)?;
        let statement = Statement::insert(self.dialect, table, values, Some(conflict), false);
        run_insert(conn, statement)
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
        if !self.inserts.contains(&table) {
            return Err(RowError::Unchecked { table });
        }
        let unset = needs::unset(table, values.iter().map(|(column, _)| *column));
        if let Some(column) = unset.first() {
            return Err(RowError::NoValue {
                table,
                column: (*column).to_owned(),
            });
        }
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
            complete.push((
                column.to_owned(),
                value.fitted(live).map_err(|r| does_not_fit(column, r))?,
            ));
        }
        for (column, fill) in self.fills.get(table).into_iter().flatten() {
            let value = match fill {
                Fill::Operator(value) => value.clone(),
                Fill::Now => SqlValue::Time(UtcTime::now()),
                Fill::Known(_) => known
                    .iter()
                    .find(|(name, _)| name == column)
                    .map(|(_, value)| value.clone())
                    .ok_or_else(|| RowError::NoValue {
                        table,
                        column: column.clone(),
                    })?,
            };
            let value = match self.column(table, column) {
                Some(live) => value.fitted(live).map_err(|r| does_not_fit(column, r))?,
                None => value,
            };
            complete.push((column.clone(), value));
        }
        Ok(complete)
    }
}
