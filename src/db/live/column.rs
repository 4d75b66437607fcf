//! One column of a live table as the database describes it, reduced to what
//! genworker needs to know: its kind, its declared width, whether it may be NULL,
//! and whether an insert may leave it out.

use std::fmt;

/// A column's type, as far as reading and writing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlKind {
    /// `varchar(n)`, `text` (SQLite: any text affinity).
    Text,
    /// `smallint`.
    SmallInt,
    /// `integer`.
    Integer,
    /// `bigint`.
    BigInt,
    /// `numeric(p,s)` / `decimal`.
    Numeric,
    /// `boolean` (SQLite: `bool`).
    Bool,
    /// `jsonb` (PostgreSQL only: on SQLite Django's JSON is `text`).
    Jsonb,
    /// `json` (PostgreSQL), which genworker's binary codec cannot write.
    Json,
    /// `timestamp with time zone` (SQLite: `datetime`).
    Timestamp,
    /// `timestamp without time zone` (PostgreSQL).
    NaiveTimestamp,
    /// `double precision` (SQLite: `real`).
    Double,
    /// Anything else (`uuid`, `date`, `real` on PostgreSQL, …).
    Other,
}

/// A live column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    /// The column's name.
    pub name: String,
    /// Its kind.
    pub kind: SqlKind,
    /// Its type as the database names it, for messages (`varchar(50)`, `numeric(8,2)`).
    pub declared: String,
    /// The most characters it holds (`varchar(n)`); `None`: unbounded.
    pub max_chars: Option<u32>,
    /// Precision and scale of a constrained `numeric(p,s)`.
    pub numeric: Option<(u32, u32)>,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// Whether an insert may leave it out: a database default, an identity, a
    /// generated column, or SQLite's rowid.
    pub has_default: bool,
}

impl LiveColumn {
    /// Whether an insert must give it a value: NOT NULL and nothing fills it.
    pub fn must_be_written(&self) -> bool {
        !self.nullable && !self.has_default
    }

    /// The largest number of whole digits it holds (`numeric(8,2)`: 6); `None`: unbounded.
    pub fn whole_digits(&self) -> Option<u32> {
        self.numeric
            .map(|(precision, scale)| precision.saturating_sub(scale))
    }
}

impl fmt::Display for LiveColumn {
    /// `numeric(8,2) NOT NULL`, `bigint NULL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "NULL" } else { "NOT NULL" };
        write!(f, "{} {null}", self.declared)
    }
}

/// The kind, width and display name of a PostgreSQL column from
/// `information_schema.columns` (`udt_name`, `character_maximum_length`,
/// `numeric_precision`, `numeric_scale`).
pub fn postgres_type(
    udt_name: &str,
    max_chars: Option<i32>,
    precision: Option<i32>,
    scale: Option<i32>,
) -> (SqlKind, String, Option<u32>, Option<(u32, u32)>) {
    let max_chars = max_chars.and_then(|n| u32::try_from(n).ok());
    let (kind, name) = match udt_name {
        "varchar" | "bpchar" => (SqlKind::Text, "varchar"),
        "text" => (SqlKind::Text, "text"),
        "int2" => (SqlKind::SmallInt, "smallint"),
        "int4" => (SqlKind::Integer, "integer"),
        "int8" => (SqlKind::BigInt, "bigint"),
        "numeric" => (SqlKind::Numeric, "numeric"),
        "bool" => (SqlKind::Bool, "boolean"),
        "jsonb" => (SqlKind::Jsonb, "jsonb"),
        "json" => (SqlKind::Json, "json"),
        "timestamptz" => (SqlKind::Timestamp, "timestamptz"),
        "timestamp" => (SqlKind::NaiveTimestamp, "timestamp"),
        "float8" => (SqlKind::Double, "float8"),
        other => (SqlKind::Other, other),
    };
    let numeric = match (kind, precision, scale) {
        (SqlKind::Numeric, Some(p), Some(s)) => u32::try_from(p).ok().zip(u32::try_from(s).ok()),
        _ => None,
    };
    let declared = match (max_chars, numeric) {
        (Some(n), _) if kind == SqlKind::Text => format!("{name}({n})"),
        (_, Some((p, s))) => format!("{name}({p},{s})"),
        _ => name.to_owned(),
    };
    let max_chars = max_chars.filter(|_| kind == SqlKind::Text);
    (kind, declared, max_chars, numeric)
}

/// The kind, width and display name of a SQLite column from its declared type
/// (`PRAGMA table_info`), by the names Django declares and SQLite's affinity rules.
pub fn sqlite_type(declared: &str) -> (SqlKind, String, Option<u32>, Option<(u32, u32)>) {
    let lower = declared.trim().to_ascii_lowercase();
    let (base, args) = match lower.split_once('(') {
        Some((base, rest)) => (base.trim(), rest.trim_end_matches(')')),
        None => (lower.as_str(), ""),
    };
    let numbers: Vec<u32> = args
        .split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    let kind = if base.contains("int") {
        if base.starts_with("smallint") {
            SqlKind::SmallInt
        } else if base.starts_with("bigint") {
            SqlKind::BigInt
        } else {
            SqlKind::Integer
        }
    } else if base.contains("char") || base.contains("clob") || base.contains("text") {
        SqlKind::Text
    } else if base == "bool" || base == "boolean" {
        SqlKind::Bool
    } else if base == "datetime" {
        SqlKind::Timestamp
    } else if base.contains("real") || base.contains("floa") || base.contains("doub") {
        SqlKind::Double
    } else if base == "decimal" || base == "numeric" {
        SqlKind::Numeric
    } else {
        SqlKind::Other
    };
    let max_chars = (kind == SqlKind::Text)
        .then(|| numbers.first().copied())
        .flatten();
    let numeric = match (kind, numbers.as_slice()) {
        (SqlKind::Numeric, [p, s]) => Some((*p, *s)),
        _ => None,
    };
    (kind, lower, max_chars, numeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_from_postgres_keep_their_widths() {
        assert_eq!(
            postgres_type("varchar", Some(50), None, None),
            (SqlKind::Text, "varchar(50)".into(), Some(50), None)
        );
        assert_eq!(
            postgres_type("numeric", None, Some(8), Some(2)),
            (SqlKind::Numeric, "numeric(8,2)".into(), None, Some((8, 2)))
        );
        assert_eq!(
            postgres_type("numeric", None, None, None),
            (SqlKind::Numeric, "numeric".into(), None, None)
        );
        assert_eq!(
            postgres_type("int4", None, Some(32), Some(0)).0,
            SqlKind::Integer
        );
        assert_eq!(postgres_type("int4", None, Some(32), Some(0)).3, None);
        assert_eq!(postgres_type("uuid", None, None, None).0, SqlKind::Other);
    }

    #[test]
    fn sqlite_types_follow_djangos_names() {
        assert_eq!(
            sqlite_type("varchar(64)"),
            (SqlKind::Text, "varchar(64)".into(), Some(64), None)
        );
        assert_eq!(sqlite_type("smallint unsigned").0, SqlKind::SmallInt);
        assert_eq!(sqlite_type("integer").0, SqlKind::Integer);
        assert_eq!(sqlite_type("bigint").0, SqlKind::BigInt);
        assert_eq!(sqlite_type("decimal").0, SqlKind::Numeric);
        assert_eq!(sqlite_type("decimal(10, 4)").3, Some((10, 4)));
        assert_eq!(sqlite_type("bool").0, SqlKind::Bool);
        assert_eq!(sqlite_type("datetime").0, SqlKind::Timestamp);
        assert_eq!(sqlite_type("real").0, SqlKind::Double);
        assert_eq!(sqlite_type("text").2, None);
        assert_eq!(sqlite_type("blob").0, SqlKind::Other);
    }
}
