//! The contract rows of a SQLite database: PRAGMA table_info, index_list,
//! index_info, index_xinfo, foreign_key_list, and the CREATE TABLE text (for
//! CHECK and DEFERRABLE).

use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl, SqliteConnection};

use super::create_table::{check_clause, column_definitions};
use super::{Schema, column_row, deferrability, normalise};

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Bool)]
    notnull: bool,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteText {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct SqliteForeignKey {
    #[diesel(sql_type = Text)]
    from_column: String,
    #[diesel(sql_type = Text)]
    to_table: String,
    #[diesel(sql_type = Text)]
    to_column: String,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Bool)]
    partial: bool,
}

#[derive(QueryableByName)]
struct SqliteIndexColumn {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Bool)]
    descending: bool,
}

/// The contract rows of a SQLite database.
pub fn read(conn: &mut SqliteConnection, tables: &[&str]) -> Schema {
    let mut schema = Schema::default();
    let mut rows = Vec::new();
    for &table in tables {
        let create_sql = single_text(
            conn,
            &format!(
                "SELECT sql AS value FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            ),
        );
        let Some(create_sql) = create_sql else {
            continue;
        };
        let definitions = column_definitions(&create_sql);
        let columns: Vec<SqliteColumn> = diesel::sql_query(format!(
            "SELECT name, type AS kind, \"notnull\", pk FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .load(conn)
        .unwrap();
        let foreign_keys: Vec<SqliteForeignKey> = diesel::sql_query(format!(
            "SELECT \"from\" AS from_column, \"table\" AS to_table, \"to\" AS to_column \
             FROM pragma_foreign_key_list('{table}')"
        ))
        .load(conn)
        .unwrap();
        let indexes: Vec<SqliteIndex> = diesel::sql_query(format!(
            "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list('{table}')"
        ))
        .load(conn)
        .unwrap();
        let unique_columns: Vec<String> = indexes
            .iter()
            .filter(|index| index.origin == "u")
            .filter_map(|index| {
                let keys = index_columns(conn, &index.name);
                (keys.len() == 1).then(|| keys[0].0.clone())
            })
            .collect();
        for column in &columns {
            let definition = definitions.get(&column.name).cloned().unwrap_or_default();
            let mut parts = Vec::new();
            if column.pk > 0 {
                let auto = definition.to_uppercase().contains("AUTOINCREMENT");
                parts.push(
                    if auto {
                        "PRIMARY KEY AUTOINCREMENT"
                    } else {
                        "PRIMARY KEY"
                    }
                    .to_owned(),
                );
            }
            if unique_columns.contains(&column.name) {
                parts.push("UNIQUE".to_owned());
            }
            for fk in foreign_keys
                .iter()
                .filter(|fk| fk.from_column == column.name)
            {
                let deferred = definition.contains("DEFERRABLE INITIALLY DEFERRED");
                parts.push(format!(
                    "FK {}({}){}",
                    fk.to_table,
                    fk.to_column,
                    deferrability(deferred, deferred)
                ));
            }
            if let Some(check) = check_clause(&definition) {
                if check.contains(&format!("JSON_VALID(\"{}\")", column.name)) {
                    parts.push("CHECK JSON_VALID".to_owned());
                } else {
                    parts.push(format!("CHECK {check}"));
                }
            }
            let nullable = if column.notnull { "NOT NULL" } else { "NULL" };
            schema
                .columns
                .entry(table.to_owned())
                .or_default()
                .push(column_row(
                    &column.name,
                    // SQLite reports the standard type names in upper case.
                    &column.kind.to_lowercase(),
                    nullable,
                    &parts.join(";"),
                ));
        }
        for extra in definitions.keys().filter(|name| name.starts_with('(')) {
            rows.push(format!("table constraint\t{extra}\t{table}\t"));
        }
        for index in indexes
            .iter()
            .filter(|i| i.origin == "c" && !i.name.starts_with("genworker_"))
        {
            let keys: Vec<String> = index_columns(conn, &index.name)
                .into_iter()
                .map(|(name, desc)| format!("\"{name}\"{}", if desc { " DESC" } else { "" }))
                .collect();
            let unique = if index.is_unique { "UNIQUE " } else { "" };
            let partial = if index.partial { " WHERE …" } else { "" };
            rows.push(format!(
                "{}\t{table}\t{unique}({}){partial}",
                index.name,
                keys.join(", ")
            ));
        }
    }
    let mut rows: Vec<String> = rows.iter().map(|row| normalise(row)).collect();
    rows.sort();
    schema.indexes = rows;
    schema
}

fn single_text(conn: &mut SqliteConnection, query: &str) -> Option<String> {
    let rows: Vec<SqliteText> = diesel::sql_query(query).load(conn).unwrap();
    rows.into_iter().next().map(|row| row.value)
}

/// Key columns of an index, in order, with their DESC flag.
fn index_columns(conn: &mut SqliteConnection, index: &str) -> Vec<(String, bool)> {
    let columns: Vec<SqliteIndexColumn> = diesel::sql_query(format!(
        "SELECT name, \"desc\" AS descending FROM pragma_index_xinfo('{index}') WHERE key = 1 ORDER BY seqno"
    ))
    .load(conn)
    .unwrap();
    columns
        .into_iter()
        .map(|c| {
            (
                c.name.unwrap_or_else(|| "<expression>".into()),
                c.descending,
            )
        })
        .collect()
}
