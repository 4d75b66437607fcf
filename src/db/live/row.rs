//! Rows genworker inserts into Django's tables, written as one `INSERT` whose
//! columns are those of the live table: what genworker writes, plus every NOT NULL
//! column it does not know of, filled as [`super::fill`] planned.

use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Double, Integer, Numeric, SmallInt, Text};

use super::introspect::quoted_type;
use super::value::SqlValue;
use crate::db::BackendKind;
use crate::db::types::{DateTimeField, JsonDoc, JsonField};
use crate::db::{AnyConnection, MultiBackend};

/// A row for one botapp table.
#[derive(Debug, Clone)]
pub struct Row {
    pub(super) table: &'static str,
    pub(super) values: Vec<(&'static str, SqlValue)>,
    pub(super) known: Vec<(&'static str, SqlValue)>,
}

impl Row {
    /// An empty row of `table`.
    pub fn new(table: &'static str) -> Self {
        Self {
            table,
            values: Vec::new(),
            known: Vec::new(),
        }
    }

    /// A column genworker writes (always, whatever the operator configured).
    pub fn set(mut self, column: &'static str, value: impl Into<SqlValue>) -> Self {
        self.values.push((column, value.into()));
        self
    }

    /// The bot's own value for a field a later release added (a
    /// [`super::KnownField`]): written only where the column exists and the
    /// operator gave no value of their own.
    pub fn known(mut self, column: &'static str, value: impl Into<SqlValue>) -> Self {
        self.known.push((column, value.into()));
        self
    }
}

/// Why a row was not inserted.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// A value is longer or larger than its live column holds.
    #[error("{table}.{column}: {reason}")]
    DoesNotFit {
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// What does not fit.
        reason: String,
    },
    /// A column the inserting code did not give a value (a bug).
    #[error("{table}.{column}: genworker wrote no value into this NOT NULL column")]
    NoValue {
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
    },
    /// The start-up check did not plan inserts into this table (a bug).
    #[error("{table}: this process checked no inserts into this table")]
    Unchecked {
        /// The table.
        table: &'static str,
    },
    /// The database refused the insert.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<RowError> for diesel::result::Error {
    /// For callers inside a transaction that speaks diesel's errors.
    fn from(error: RowError) -> Self {
        match error {
            RowError::Query(error) => error,
            other => Self::SerializationError(Box::new(other)),
        }
    }
}

/// An `INSERT` ready to run: its text and the values of its placeholders, in order.
#[derive(Debug)]
pub struct Statement {
    sql: String,
    binds: Vec<SqlValue>,
    returning: bool,
}

impl Statement {
    /// `INSERT INTO "table" (…) VALUES (…)`, then `ON CONFLICT ("conflict") DO NOTHING`
    /// and/or `RETURNING "id"`.
    pub(super) fn insert(
        dialect: BackendKind,
        table: &str,
        values: Vec<(String, SqlValue)>,
        conflict: Option<&str>,
        returning: bool,
    ) -> Self {
        let mut names = Vec::with_capacity(values.len());
        let mut slots = Vec::with_capacity(values.len());
        let mut binds = Vec::with_capacity(values.len());
        for (column, value) in values {
            names.push(format!("\"{column}\""));
            if value == SqlValue::Null {
                slots.push("NULL".to_owned());
                continue;
            }
            let slot = dialect.placeholder(binds.len() + 1);
            match (&value, dialect) {
                (SqlValue::Cast { sql_type, .. }, BackendKind::Postgres) => {
                    slots.push(format!("CAST({slot} AS {})", quoted_type(sql_type)));
                }
                _ => slots.push(slot),
            }
            binds.push(value);
        }
        let mut sql = format!(
            "INSERT INTO \"{table}\" ({}) VALUES ({})",
            names.join(", "),
            slots.join(", ")
        );
        if let Some(column) = conflict {
            sql.push_str(&format!(" ON CONFLICT (\"{column}\") DO NOTHING"));
        }
        if returning {
            sql.push_str(" RETURNING \"id\"");
        }
        Self {
            sql,
            binds,
            returning,
        }
    }
}

#[derive(QueryableByName)]
struct InsertedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Runs an insert built from the live columns: the new row's id when the
/// statement returns one (and a row was inserted).
pub fn run_insert(conn: &mut AnyConnection, statement: Statement) -> QueryResult<Option<i64>> {
    let query = bind_all(
        diesel::sql_query(statement.sql).into_boxed(),
        statement.binds,
    );
    if statement.returning {
        Ok(query
            .get_result::<InsertedId>(conn)
            .optional()?
            .map(|row| row.id))
    } else {
        query.execute(conn).map(|_| None)
    }
}

/// Binds each value with the SQL type of its kind.
fn bind_all(
    query: BoxedSqlQuery<'_, MultiBackend, SqlQuery>,
    values: Vec<SqlValue>,
) -> BoxedSqlQuery<'_, MultiBackend, SqlQuery> {
    values.into_iter().fold(query, |query, value| match value {
        // NULL is written into the statement's text, never bound.
        SqlValue::Null => query,
        SqlValue::Text(text) | SqlValue::Cast { text, .. } => query.bind::<Text, _>(text),
        SqlValue::BigInt(n) => query.bind::<BigInt, _>(n),
        SqlValue::Integer(n) => query.bind::<Integer, _>(n),
        SqlValue::SmallInt(n) => query.bind::<SmallInt, _>(n),
        SqlValue::Bool(flag) => query.bind::<Bool, _>(flag),
        SqlValue::Numeric(n) => query.bind::<Numeric, _>(n),
        SqlValue::Double(n) => query.bind::<Double, _>(n),
        SqlValue::Json(doc) => query.bind::<JsonField, _>(JsonDoc(doc)),
        SqlValue::Time(time) => query.bind::<DateTimeField, _>(time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_placeholders_and_write_null_inline() {
        let values = vec![
            ("slug".to_owned(), SqlValue::from("kling-v1")),
            ("daily_limit".to_owned(), SqlValue::Null),
            (
                "token".to_owned(),
                SqlValue::Cast {
                    text: "x".into(),
                    sql_type: "uuid".into(),
                },
            ),
        ];
        let pg = Statement::insert(
            BackendKind::Postgres,
            "t",
            values.clone(),
            Some("slug"),
            true,
        );
        assert_eq!(
            pg.sql,
            "INSERT INTO \"t\" (\"slug\", \"daily_limit\", \"token\") VALUES ($1, NULL, CAST($2 AS \"uuid\")) \
             ON CONFLICT (\"slug\") DO NOTHING RETURNING \"id\""
        );
        assert_eq!(pg.binds.len(), 2);
        let sqlite = Statement::insert(BackendKind::Sqlite, "t", values, None, false);
        assert_eq!(
            sqlite.sql,
            "INSERT INTO \"t\" (\"slug\", \"daily_limit\", \"token\") VALUES (?1, NULL, ?2)"
        );
    }
}
