//! Reads a live schema into the contract's row format.
//! PostgreSQL: information_schema, pg_attribute, pg_constraint, pg_indexes.
//! SQLite: PRAGMA table_info, index_list, index_info, index_xinfo,
//! foreign_key_list, and the CREATE TABLE text (for CHECK and DEFERRABLE).

use std::collections::BTreeMap;

use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

/// Columns per table (in column order) and the sorted index/constraint rows.
#[derive(Debug, Default)]
pub struct Schema {
    pub columns: BTreeMap<String, Vec<String>>,
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

fn quoted_list(tables: &[&str]) -> String {
    tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Text>)]
    identity_generation: Option<String>,
}

#[derive(QueryableByName)]
struct PgColumnConstraint {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Bool)]
    deferrable: bool,
    #[diesel(sql_type = Bool)]
    deferred: bool,
    #[diesel(sql_type = Text)]
    definition: String,
    #[diesel(sql_type = Nullable<Text>)]
    ref_table: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ref_column: Option<String>,
}

#[derive(QueryableByName)]
struct NamedDefinition {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

fn postgres_type(formatted: &str) -> String {
    formatted
        .replace("character varying", "varchar")
        .replace("double precision", "float8")
        .replace("timestamp with time zone", "timestamptz")
}

/// The contract rows of a PostgreSQL database (current schema).
pub fn postgres(conn: &mut PgConnection, tables: &[&str]) -> Schema {
    let list = quoted_list(tables);
    let columns: Vec<PgColumn> = diesel::sql_query(format!(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                format_type(a.atttypid, a.atttypmod) AS data_type, \
                c.is_nullable::text AS is_nullable, c.identity_generation::text AS identity_generation \
         FROM information_schema.columns c \
         JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass \
                            AND a.attname = c.column_name \
         WHERE c.table_schema = current_schema() AND c.table_name IN ({list}) \
         ORDER BY c.table_name, c.ordinal_position"
    ))
    .load(conn)
    .unwrap();
    let constraints: Vec<PgColumnConstraint> = diesel::sql_query(format!(
        "SELECT cl.relname::text AS table_name, att.attname::text AS column_name, \
                con.contype::text AS kind, con.condeferrable AS deferrable, con.condeferred AS deferred, \
                pg_get_constraintdef(con.oid) AS definition, \
                fcl.relname::text AS ref_table, fatt.attname::text AS ref_column \
         FROM pg_constraint con \
         JOIN pg_class cl ON cl.oid = con.conrelid \
         JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1] \
         LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid \
         LEFT JOIN pg_attribute fatt ON fatt.attrelid = con.confrelid AND fatt.attnum = con.confkey[1] \
         WHERE cl.relname IN ({list}) AND cl.relnamespace = current_schema()::regnamespace \
           AND array_length(con.conkey, 1) = 1"
    ))
    .load(conn)
    .unwrap();

    let mut schema = Schema::default();
    for column in &columns {
        let mut parts: Vec<String> = constraints
            .iter()
            .filter(|c| c.table_name == column.table_name && c.column_name == column.column_name)
            .map(describe_pg_constraint)
            .collect();
        if let Some(generation) = &column.identity_generation {
            parts.push(format!("GENERATED {generation} AS IDENTITY"));
        }
        let nullable = if column.is_nullable == "YES" {
            "NULL"
        } else {
            "NOT NULL"
        };
        schema
            .columns
            .entry(column.table_name.clone())
            .or_default()
            .push(column_row(
                &column.column_name,
                &postgres_type(&column.data_type),
                nullable,
                &parts.join(";"),
            ));
    }

    let rows: Vec<NamedDefinition> = diesel::sql_query(format!(
        "SELECT 'index' AS kind, indexname::text AS name, tablename::text AS table_name, \
                CASE WHEN indexdef LIKE 'CREATE UNIQUE INDEX%' THEN 'UNIQUE ' ELSE '' END \
                || substring(indexdef FROM ' USING (.*)$') AS definition \
         FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename IN ({list}) \
           AND indexname NOT LIKE 'genworker\\_%' \
           AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u', 'x')) \
         UNION ALL \
         SELECT 'constraint', con.conname::text, cl.relname::text, pg_get_constraintdef(con.oid) \
         FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid \
         WHERE cl.relname IN ({list}) AND cl.relnamespace = current_schema()::regnamespace"
    ))
    .load(conn)
    .unwrap();
    schema.indexes = index_rows(&rows);
    schema
}

fn describe_pg_constraint(constraint: &PgColumnConstraint) -> String {
    match constraint.kind.as_str() {
        "p" => "PRIMARY KEY".to_owned(),
        "u" => "UNIQUE".to_owned(),
        "f" => format!(
            "FK {}({}){}",
            constraint.ref_table.as_deref().unwrap_or("?"),
            constraint.ref_column.as_deref().unwrap_or("?"),
            deferrability(constraint.deferrable, constraint.deferred)
        ),
        _ => constraint.definition.clone(),
    }
}

fn deferrability(deferrable: bool, deferred: bool) -> &'static str {
    match (deferrable, deferred) {
        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
        (true, false) => " DEFERRABLE",
        _ => "",
    }
}

fn index_rows(rows: &[NamedDefinition]) -> Vec<String> {
    let mut lines: Vec<String> = rows
        .iter()
        .map(|row| {
            normalise(&format!(
                "{}\t{}\t{}\t{}",
                row.kind, row.name, row.table_name, row.definition
            ))
        })
        .collect();
    lines.sort();
    lines
}

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
pub fn sqlite(conn: &mut SqliteConnection, tables: &[&str]) -> Schema {
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

/// Column definitions of a CREATE TABLE statement, keyed by column name;
/// table-level constraints are keyed by their own text in parentheses.
fn column_definitions(create_sql: &str) -> BTreeMap<String, String> {
    let Some(start) = create_sql.find('(') else {
        return BTreeMap::new();
    };
    let body = &create_sql[start + 1..create_sql.rfind(')').unwrap_or(create_sql.len())];
    let mut parts = Vec::new();
    let (mut depth, mut in_quotes, mut current) = (0, false, String::new());
    for ch in body.chars() {
        match ch {
            '"' | '\'' => in_quotes = !in_quotes,
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes => depth -= 1,
            ',' if !in_quotes && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    let table_keywords = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];
    parts
        .into_iter()
        .map(|part| part.trim().to_owned())
        .map(|part| {
            let first = part.split_whitespace().next().unwrap_or("").to_uppercase();
            if table_keywords.contains(&first.as_str()) {
                (format!("({part})"), part)
            } else {
                (first_identifier(&part), part)
            }
        })
        .collect()
}

fn first_identifier(definition: &str) -> String {
    let trimmed = definition.trim_start();
    if let Some(rest) = trimmed.strip_prefix('"') {
        rest.split('"').next().unwrap_or("").to_owned()
    } else {
        trimmed.split_whitespace().next().unwrap_or("").to_owned()
    }
}

/// The parenthesised expression after `CHECK` in a column definition.
fn check_clause(definition: &str) -> Option<String> {
    let start = definition.to_uppercase().find("CHECK")?;
    let rest = &definition[start + "CHECK".len()..];
    let open = rest.find('(')?;
    let mut depth = 0;
    for (offset, ch) in rest[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(rest[open..open + offset + 1].to_owned());
                }
            }
            _ => {}
        }
    }
    None
}
