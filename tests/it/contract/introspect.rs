//! Reads a live schema into the contract's row format: the rows and how they
//! are normalised here, each backend's catalog queries in its submodule.

mod create_table;
pub mod postgres;
pub mod sqlite;

use std::collections::BTreeMap;

/// Columns per table (in column order) and the sorted index/constraint rows.
#[derive(Debug, Default)]
pub struct Schema {
    /// Each table's column rows, in column order.
    pub columns: BTreeMap<String, Vec<String>>,
    /// The index and constraint rows of every table, sorted.
    pub indexes: Vec<String>,
}

/// One column row: name, type, nullability, and the constraints in a fixed order.
pub fn column_row(name: &str, kind: &str, nullable: &str, constraints: &str) -> String {
    let mut parts: Vec<String> = constraints
        .split(';')
        .map(normalise)
        .filter(|part| !part.is_empty())
        .collect();
    parts.sort();
    format!("{name}\t{kind}\t{nullable}\t{}", parts.join("; "))
}

/// Collapses runs of white space inside each tab-separated field.
pub fn normalise(line: &str) -> String {
    line.split('\t')
        .map(|field| field.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\t")
}

/// `'a', 'b'`: table names for an SQL `IN (…)`.
fn quoted_list(tables: &[&str]) -> String {
    tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a foreign key's DEFERRABLE clause reads in a row.
fn deferrability(deferrable: bool, deferred: bool) -> &'static str {
    match (deferrable, deferred) {
        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
        (true, false) => " DEFERRABLE",
        _ => "",
    }
}
