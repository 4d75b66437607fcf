//! Whole-database reads outside genworker's code, for tests that must show a
//! command changed nothing: every table, column, index and trigger, and every row.

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::support::TestDb;

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    v: String,
}

/// Every line a query returns (its one text column `v`).
pub fn lines(db: &TestDb, sql: &str) -> Vec<String> {
    let rows: Vec<Line> = if db.is_postgres() {
        diesel::sql_query(sql)
            .load(&mut PgConnection::establish(db.url()).unwrap())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    } else {
        let path = db.url().trim_start_matches("sqlite://").to_owned();
        diesel::sql_query(sql)
            .load(&mut SqliteConnection::establish(&path).unwrap())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    rows.into_iter().map(|row| row.v).collect()
}

/// The one value a query returns (column `v`).
pub fn query_one(db: &TestDb, sql: &str) -> String {
    let found = lines(db, &format!("SELECT ({sql}) AS v"));
    assert_eq!(found.len(), 1, "{sql}: {found:?}");
    found.into_iter().next().unwrap_or_default()
}

/// The tables of the database, by name.
pub fn table_names(db: &TestDb) -> Vec<String> {
    if db.is_postgres() {
        lines(
            db,
            "SELECT tablename::text AS v FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
        )
    } else {
        lines(
            db,
            "SELECT name AS v FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY 1",
        )
    }
}

/// Every column, index, trigger and row of every table, as text.
pub fn snapshot(db: &TestDb) -> Vec<String> {
    let mut all = if db.is_postgres() {
        let mut schema = lines(
            db,
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' \
             || COALESCE(column_default, '') AS v FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
        );
        schema.extend(lines(
            db,
            "SELECT indexdef AS v FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
        ));
        schema.extend(lines(
            db,
            "SELECT tgrelid::regclass::text || ' ' || tgname AS v FROM pg_trigger \
             WHERE NOT tgisinternal ORDER BY 1",
        ));
        schema
    } else {
        lines(
            db,
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') AS v FROM sqlite_master ORDER BY name",
        )
    };
    for table in table_names(db) {
        let columns = if db.is_postgres() {
            lines(
                db,
                &format!(
                    "SELECT column_name::text AS v FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = '{table}' \
                     ORDER BY ordinal_position"
                ),
            )
        } else {
            lines(
                db,
                &format!("SELECT name AS v FROM pragma_table_info('{table}')"),
            )
        };
        let row = columns
            .iter()
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS TEXT), 'NULL')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows = lines(db, &format!("SELECT {row} AS v FROM \"{table}\""));
        rows.sort();
        all.extend(rows.into_iter().map(|row| format!("{table}: {row}")));
    }
    all
}
