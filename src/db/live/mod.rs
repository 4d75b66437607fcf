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
mod tables;
mod value;

pub use column::{LiveColumn, SqlKind};
pub use fill::{ColumnDefaults, VARIABLE as COLUMN_DEFAULTS_VARIABLE};
pub use introspect::ReadColumns;
pub use report::{Problem, Report};
pub use row::{Row, RowError};
pub use tables::Tables;
pub use value::{SqlValue, decimal_digits};

use super::DbError;

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
