//! Whether a live column can serve a need (its type, width, identity and
//! nullability), in words for the report, and the check of a whole live schema.

use super::{Floor, NEEDS, Need, TABLES, USER_SETTINGS, Use};
use crate::db::BackendKind;
use crate::db::live::column::{LiveColumn, SqlKind};
use crate::db::live::introspect::Columns;
use crate::db::live::report::Problem;

use Floor::{BigInt, Bool, Chars, Double, Integer, Json, Key, SmallInt, Text, Time};
use Use::{Null, Read, ReadNullable, Write};

/// Why a live column cannot serve a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Another kind of type.
    Type,
    /// Narrower than the floor.
    Width,
    /// A key the database does not number.
    NoIdentity,
    /// NULL allowed where genworker reads NOT NULL.
    Nullable,
    /// NOT NULL where genworker writes NULL.
    NotNull,
}

impl Need {
    /// What genworker needs, in words (`numeric with at least 4 whole digits and 2 places`).
    fn wanted(&self, backend: BackendKind) -> String {
        let kind = match (self.floor, backend) {
            (Key, BackendKind::Postgres) => "a bigint the database numbers (identity)".to_owned(),
            (Key, BackendKind::Sqlite) => "an integer primary key (the rowid)".to_owned(),
            (BigInt, _) => "bigint".to_owned(),
            (Integer, _) => "integer".to_owned(),
            (SmallInt, _) => "smallint".to_owned(),
            (Chars(n), _) => format!("varchar({n}) or wider"),
            (Text, _) => "text (no length limit)".to_owned(),
            (Floor::Money { whole, places }, _) => {
                format!("numeric with at least {whole} whole digits and {places} decimal places")
            }
            (Bool, BackendKind::Postgres) => "boolean".to_owned(),
            (Bool, BackendKind::Sqlite) => "bool".to_owned(),
            (Json, BackendKind::Postgres) => "jsonb".to_owned(),
            (Json, BackendKind::Sqlite) => "text (JSON)".to_owned(),
            (Time, BackendKind::Postgres) => "timestamptz".to_owned(),
            (Time, BackendKind::Sqlite) => "datetime".to_owned(),
            (Double, BackendKind::Postgres) => "float8".to_owned(),
            (Double, BackendKind::Sqlite) => "real".to_owned(),
        };
        let verb = match self.usage {
            Read => "reads and writes it as",
            Write => "writes it as",
            ReadNullable => "reads and writes it as",
            Null => "reads and writes it (NULL included) as",
        };
        let null = if self.usage == Null { "" } else { " NOT NULL" };
        format!("genworker {verb} {kind}{null}")
    }

    /// Why `live` cannot serve this need, if it cannot.
    fn refuses(&self, live: &LiveColumn, backend: BackendKind) -> Option<Refusal> {
        if !self.kind_fits(live.kind, backend) {
            return Some(Refusal::Type);
        }
        match self.floor {
            Chars(n) if live.max_chars.is_some_and(|max| max < n) => return Some(Refusal::Width),
            Text if live.max_chars.is_some() => return Some(Refusal::Width),
            Floor::Money { whole, places } => {
                if let Some((_, scale)) = live.numeric
                    && (scale < places || live.whole_digits().is_some_and(|d| d < whole))
                {
                    return Some(Refusal::Width);
                }
            }
            Key if !live.has_default => return Some(Refusal::NoIdentity),
            _ => {}
        }
        match self.usage {
            Read if live.nullable => Some(Refusal::Nullable),
            Null if !live.nullable => Some(Refusal::NotNull),
            _ => None,
        }
    }

    fn kind_fits(&self, kind: SqlKind, backend: BackendKind) -> bool {
        use SqlKind as K;
        let integer = matches!(kind, K::SmallInt | K::Integer | K::BigInt);
        match (self.floor, backend) {
            // SQLite stores every integer as 64 bits whatever the declared name.
            (Key | BigInt | Integer | SmallInt, BackendKind::Sqlite) => integer,
            (Key | BigInt, BackendKind::Postgres) => kind == K::BigInt,
            (Integer, BackendKind::Postgres) => kind == K::Integer,
            (SmallInt, BackendKind::Postgres) => kind == K::SmallInt,
            (Chars(_) | Text, _) => kind == K::Text,
            (Floor::Money { .. }, _) => kind == K::Numeric,
            (Bool, _) => kind == K::Bool,
            (Json, BackendKind::Postgres) => kind == K::Jsonb,
            (Json, BackendKind::Sqlite) => kind == K::Text,
            (Time, _) => kind == K::Timestamp,
            (Double, _) => kind == K::Double,
        }
    }
}

/// Every way the live columns fail genworker's needs, one problem per column.
pub fn check(columns: &Columns, backend: BackendKind) -> Vec<Problem> {
    let mut problems = Vec::new();
    for table in TABLES {
        let Some(live) = columns.get(table) else {
            if table != USER_SETTINGS {
                problems.push(Problem::missing_table(table));
            }
            continue;
        };
        for need in NEEDS.iter().filter(|need| need.table == table) {
            let wanted = need.wanted(backend);
            match live.iter().find(|column| column.name == need.column) {
                None => problems.push(Problem::new(table, need.column, wanted, "no such column")),
                Some(column) => {
                    if let Some(reason) = need.refuses(column, backend) {
                        let found = match reason {
                            Refusal::NoIdentity => format!("{column} without identity or default"),
                            _ => column.to_string(),
                        };
                        problems.push(Problem::new(table, need.column, wanted, found));
                    }
                }
            }
        }
    }
    problems
}
