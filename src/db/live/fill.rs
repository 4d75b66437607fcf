//! What goes into the NOT NULL columns of a botapp table that genworker itself
//! knows nothing of (Django sets no database defaults, so whoever inserts must
//! write them): the operator's `GENWORKER_COLUMN_DEFAULTS` first, else the value
//! the bot's own code writes into a field a later release added ([`KNOWN_FIELDS`]).
//! A column with neither is a problem found before anything is written.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::Value;

use diesel::QueryResult;

use crate::db::AnyConnection;

use super::column::{LiveColumn, SqlKind};
use super::introspect::{Columns, ReadColumns};
use super::needs::{self, INSERTED};
use super::report::Problem;
use super::value::SqlValue;

/// The variable operators set.
pub const VARIABLE: &str = "GENWORKER_COLUMN_DEFAULTS";

/// `GENWORKER_COLUMN_DEFAULTS`: a JSON object `{"table.column": value}` of values
/// for columns of the botapp tables genworker inserts into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnDefaults(BTreeMap<(String, String), Value>);

impl ColumnDefaults {
    /// The operator's value for one column.
    pub fn get(&self, table: &str, column: &str) -> Option<&Value> {
        self.0.get(&(table.to_owned(), column.to_owned()))
    }

    /// Every `(table, column)` the operator named.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.keys().map(|(t, c)| (t.as_str(), c.as_str()))
    }

    /// From a JSON object, checking each key names a table genworker inserts into.
    pub fn from_json(value: Value) -> Result<Self, String> {
        let Value::Object(object) = value else {
            return Err(format!(
                "expected a JSON object {{\"table.column\": value}}, got {value}"
            ));
        };
        let mut defaults = BTreeMap::new();
        for (key, value) in object {
            let Some((table, column)) = key
                .split_once('.')
                .filter(|(t, c)| !t.is_empty() && !c.is_empty() && !c.contains('.'))
            else {
                return Err(format!("key `{key}` is not table.column"));
            };
            if !INSERTED.contains(&table) {
                return Err(format!(
                    "key `{key}`: genworker inserts rows into {} only",
                    INSERTED.join(", ")
                ));
            }
            defaults.insert((table.to_owned(), column.to_owned()), value);
        }
        Ok(Self(defaults))
    }
}

impl FromStr for ColumnDefaults {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let value = serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        Self::from_json(value)
    }
}

/// A field a later release of the bot added, with what its own code writes into it
/// (`../shared/contract/latest/changes.md`); the code inserting the row computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownField {
    /// `botapp_…`.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// What the bot writes, in words.
    pub written: &'static str,
}

/// Every later field genworker knows the bot's values for.
pub const KNOWN_FIELDS: &[KnownField] = &[
    KnownField {
        table: "botapp_aimodel",
        column: "unit_cost_usd",
        written: "the model's price in USD: price / (usd_to_token_rate × markup_multiplier)",
    },
    KnownField {
        table: "botapp_aimodel",
        column: "base_cost_usd",
        written: "the model's price in USD: price / (usd_to_token_rate × markup_multiplier)",
    },
    KnownField {
        table: "botapp_aimodel",
        column: "cost_unit",
        written: "'generation'",
    },
    KnownField {
        table: "botapp_genrequest",
        column: "cost_usd",
        written: "the generation's USD cost: the model's base cost × its units (the bot's calculate_request_cost)",
    },
];

/// Where the value of a column genworker does not write itself comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    /// The operator's value.
    Operator(SqlValue),
    /// The operator's `"now"` for a time column: the moment of the insert.
    Now,
    /// What the bot's own code writes, computed by the code inserting the row.
    Known(&'static KnownField),
}

impl Fill {
    /// Where the value comes from, in words.
    pub fn describe(&self) -> String {
        match self {
            Self::Operator(value) => format!("{value} ({VARIABLE})"),
            Self::Now => format!("the time of the insert ({VARIABLE})"),
            Self::Known(known) => format!("{} (what the bot writes)", known.written),
        }
    }
}

/// Extra columns of each table, with their fills.
pub type Fills = BTreeMap<String, Vec<(String, Fill)>>;

/// The fills of every table present, the columns nothing can fill, and the
/// settings that are ignored.
pub struct Planned {
    /// How to fill each table's columns genworker does not know.
    pub fills: Fills,
    /// The columns of each table nothing can fill (or the operator's value cannot).
    pub problems: Vec<Problem>,
    /// Operator values that are ignored, and why.
    pub notes: Vec<String>,
}

/// Plans the fills of every table present; the operator's values of types only
/// the database can parse (`uuid`, `date`, …) are tried on `conn`.
pub fn plan(
    conn: &mut AnyConnection,
    columns: &Columns,
    defaults: &ColumnDefaults,
) -> QueryResult<Planned> {
    let mut planned = Planned {
        fills: Fills::new(),
        problems: Vec::new(),
        notes: Vec::new(),
    };
    for (table, live) in columns
        .iter()
        .filter(|(t, _)| INSERTED.contains(&t.as_str()))
    {
        for column in live
            .iter()
            .filter(|c| needs::find(table, &c.name).is_none())
        {
            match fill(conn, table, column, defaults)? {
                Ok(Some(found)) => planned
                    .fills
                    .entry(table.clone())
                    .or_default()
                    .push((column.name.clone(), found)),
                Ok(None) => {}
                Err(problem) => planned.problems.push(problem),
            }
        }
    }
    for (table, column) in defaults.columns() {
        let exists = columns
            .get(table)
            .is_some_and(|live| live.iter().any(|c| c.name == column));
        let ignored = if needs::find(table, column).is_some() {
            "genworker writes that column itself"
        } else if !exists {
            "the database has no such column"
        } else {
            continue;
        };
        planned.notes.push(format!(
            "{VARIABLE}: {table}.{column} is ignored: {ignored}"
        ));
    }
    Ok(planned)
}

fn fill(
    conn: &mut AnyConnection,
    table: &str,
    column: &LiveColumn,
    defaults: &ColumnDefaults,
) -> QueryResult<Result<Option<Fill>, Problem>> {
    let problem = |wanted: String| Problem::new(table, &column.name, wanted, column.to_string());
    let unusable = |reason: String| problem(format!("a usable value in {VARIABLE} ({reason})"));
    if let Some(value) = defaults.get(table, &column.name) {
        if column.kind == SqlKind::Timestamp && value.as_str() == Some("now") {
            return Ok(Ok(Some(Fill::Now)));
        }
        let value = match SqlValue::from_json(value, column) {
            Ok(value) => value,
            Err(reason) => return Ok(Err(unusable(reason))),
        };
        if let SqlValue::Cast { text, sql_type } = &value
            && !conn.accepts(text, sql_type)?
        {
            return Ok(Err(unusable(format!(
                "the database does not read {text:?} as {sql_type}"
            ))));
        }
        return Ok(Ok(Some(Fill::Operator(value))));
    }
    if !column.must_be_written() {
        return Ok(Ok(None));
    }
    if let Some(known) = KNOWN_FIELDS
        .iter()
        .find(|known| known.table == table && known.column == column.name)
    {
        return Ok(Ok(Some(Fill::Known(known))));
    }
    Ok(Err(problem(format!(
        "a value for every row it inserts: the column is NOT NULL without a database default \
         and genworker does not know what the bot writes there; set {VARIABLE}, \
         e.g. {{\"{table}.{}\": <value>}}",
        column.name
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_must_name_a_column_of_a_table_genworker_inserts_into() {
        let defaults: ColumnDefaults = r#"{"botapp_genrequest.cost_usd": 0}"#.parse().unwrap();
        assert_eq!(
            defaults.get("botapp_genrequest", "cost_usd"),
            Some(&json!(0))
        );
        for (text, error) in [
            ("[1]", "expected a JSON object"),
            (r#"{"cost_usd": 0}"#, "is not table.column"),
            (r#"{"botapp_genrequest.": 0}"#, "is not table.column"),
            (r#"{"auth_user.email": "x"}"#, "genworker inserts rows into"),
            ("{", "not JSON"),
        ] {
            let found = text.parse::<ColumnDefaults>().unwrap_err();
            assert!(found.contains(error), "{text}: {found}");
        }
    }

    #[test]
    fn every_known_field_is_not_one_genworker_writes_anyway() {
        use super::needs::NEEDS;
        for known in KNOWN_FIELDS {
            assert!(INSERTED.contains(&known.table));
            assert!(
                !NEEDS
                    .iter()
                    .any(|n| n.table == known.table && n.column == known.column),
                "{}.{}",
                known.table,
                known.column
            );
        }
    }
}
