//! What genworker needs of each botapp column it reads or writes, and the check
//! of a live schema against it. The floor of every column is its type at the bot's
//! b6702256 release (the contract, `tests/contract/`): a later release may widen a
//! column, never narrow it below what genworker writes.

mod columns;
mod fit;

pub use columns::NEEDS;
pub use fit::check;

/// The narrowest type a column may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// The primary key: a `bigint` the database numbers (SQLite: the rowid).
    Key,
    /// `bigint` (ids, foreign keys, chat ids).
    BigInt,
    /// `integer`.
    Integer,
    /// `smallint`.
    SmallInt,
    /// `varchar` of at least this many characters, or `text`.
    Chars(u32),
    /// `text`: genworker writes values of any length.
    Text,
    /// `numeric` holding this many whole digits and decimal places.
    Money {
        /// Digits before the point.
        whole: u32,
        /// Digits after the point.
        places: u32,
    },
    /// `boolean`.
    Bool,
    /// A Django `JSONField`: `jsonb` (SQLite: `text`).
    Json,
    /// A Django `DateTimeField`: `timestamp with time zone` (SQLite: `datetime`).
    Time,
    /// `double precision` (SQLite: `real`).
    Double,
}

/// How genworker uses a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Read as NOT NULL (and written, never NULL).
    Read,
    /// Written, never NULL; never read.
    Write,
    /// Read as nullable, written NOT NULL (a hand-written NULL must not stop a claim).
    ReadNullable,
    /// Nullable: read as such, and genworker may write NULL into it.
    Null,
}

/// One column genworker reads or writes.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    /// `botapp_…`.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// Its narrowest acceptable type.
    pub floor: Floor,
    /// How genworker uses it.
    pub usage: Use,
}

/// The tables genworker inserts rows into (and reads and writes), in the order
/// it reports them.
pub const INSERTED: [&str; 5] = [
    "botapp_tguser",
    "botapp_userbalance",
    "botapp_transaction",
    "botapp_aimodel",
    "botapp_genrequest",
];

/// The user's progress (`UserSettings`): genworker only updates rows the bot
/// created, and only where the table exists.
pub const USER_SETTINGS: &str = "botapp_usersettings";

/// Every table genworker checks: [`INSERTED`], then the optional [`USER_SETTINGS`].
pub const TABLES: [&str; 6] = [
    INSERTED[0],
    INSERTED[1],
    INSERTED[2],
    INSERTED[3],
    INSERTED[4],
    USER_SETTINGS,
];

/// What genworker needs of `table.column`, if it reads or writes it.
pub fn find(table: &str, column: &str) -> Option<&'static Need> {
    NEEDS
        .iter()
        .find(|need| need.table == table && need.column == column)
}

/// The columns of `table` genworker writes into every row it inserts there (all
/// but the key, which the database numbers) that `written` leaves out.
pub fn unset<'a>(table: &str, written: impl Iterator<Item = &'a str>) -> Vec<&'static str> {
    let written: Vec<&str> = written.collect();
    NEEDS
        .iter()
        .filter(|need| need.table == table && need.floor != Floor::Key)
        .filter(|need| !written.contains(&need.column))
        .map(|need| need.column)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_lists_every_written_column_a_row_leaves_out_but_the_key() {
        let all: Vec<&str> = NEEDS
            .iter()
            .filter(|n| n.table == "botapp_tguser")
            .map(|n| n.column)
            .collect();
        assert!(unset("botapp_tguser", all.iter().copied()).is_empty());
        let without = all
            .iter()
            .copied()
            .filter(|c| *c != "language_code" && *c != "id");
        assert_eq!(unset("botapp_tguser", without), ["language_code"]);
    }
}
