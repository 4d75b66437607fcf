//! The contract rows of a PostgreSQL database: information_schema,
//! pg_attribute, pg_constraint and pg_indexes.

use diesel::sql_types::{Bool, Nullable, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

use super::{Schema, column_row, deferrability, normalise, quoted_list};

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
pub fn read(conn: &mut PgConnection, tables: &[&str]) -> Schema {
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
