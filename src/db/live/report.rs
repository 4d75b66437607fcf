//! The result of checking a live schema: one line per problem, naming
//! `table.column`, what genworker needs and what the database has.

use std::fmt;

/// One column (or table) genworker cannot work with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `botapp_…`.
    pub table: String,
    /// The column; `None` when the whole table is missing.
    pub column: Option<String>,
    /// What genworker needs.
    pub wanted: String,
    /// What the database has.
    pub found: String,
}

impl Problem {
    /// A problem with one column.
    pub fn new(
        table: impl Into<String>,
        column: impl Into<String>,
        wanted: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self {
            table: table.into(),
            column: Some(column.into()),
            wanted: wanted.into(),
            found: found.into(),
        }
    }

    /// A table that does not exist.
    pub fn missing_table(table: &str) -> Self {
        Self {
            table: table.to_owned(),
            column: None,
            wanted: "genworker reads and writes this table".into(),
            found: "no such table".into(),
        }
    }

    /// Whether it is about a missing table.
    pub fn is_missing_table(&self) -> bool {
        self.column.is_none()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "{}.{column}", self.table)?,
            None => write!(f, "{}", self.table)?,
        }
        write!(f, ": {}; found {}", self.wanted, self.found)
    }
}

/// Every problem of one check, in table and column order, and what is worth
/// knowing but stops nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// What stops genworker.
    pub problems: Vec<Problem>,
    /// Settings that were ignored, and why.
    pub notes: Vec<String>,
}

impl Report {
    /// Whether genworker can work with the schema.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Writes the notes to the log as warnings.
    pub fn log_notes(&self) {
        for note in &self.notes {
            tracing::warn!("{note}");
        }
    }
}

impl fmt::Display for Report {
    /// One line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, problem) in self.problems.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
