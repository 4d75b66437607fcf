//! The backend under test ([`Db`]: a PostgreSQL database of our own or a SQLite
//! file) and SQL outside the daemon: `psql` for PostgreSQL, a diesel connection
//! for SQLite.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

/// One statement through `psql`; the last line of its output.
pub(super) fn psql(url: &str, sql: &str) -> String {
    last_line(
        Command::new("psql").args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql]),
        sql,
    )
}

/// Committed + rolled back transactions of a PostgreSQL database so far (0 on SQLite).
/// Read from the admin database, so the reading itself is not counted.
pub(super) fn pg_xacts(db: &Db) -> f64 {
    let Db::Pg { name, admin, .. } = db else {
        return 0.0;
    };
    psql(
        admin,
        &format!(
            "SELECT pg_stat_clear_snapshot(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{name}'"
        ),
    )
    .parse()
    .expect("xact count")
}

/// One statement on a SQLite file: a SELECT's single value as text; others run, "".
fn sqlite_sql(path: &std::path::Path, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = Nullable<Text>)]
        v: Option<String>,
    }
    let mut conn = SqliteConnection::establish(&path.display().to_string()).expect("open SQLite");
    conn.batch_execute("PRAGMA busy_timeout = 20000")
        .expect("busy timeout");
    if sql.trim_start().to_ascii_uppercase().starts_with("SELECT") {
        diesel::sql_query(format!("SELECT CAST(({sql}) AS TEXT) AS v"))
            .get_result::<Value>(&mut conn)
            .unwrap_or_else(|error| panic!("SQL failed: {sql}: {error}"))
            .v
            .unwrap_or_default()
    } else {
        conn.batch_execute(sql)
            .unwrap_or_else(|error| panic!("SQL failed: {sql}: {error}"));
        String::new()
    }
}

fn last_line(command: &mut Command, sql: &str) -> String {
    let output = command.output().expect("run psql");
    assert!(
        output.status.success(),
        "SQL failed: {sql}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// A backend under test: a PostgreSQL database of our own, or a SQLite file.
pub(super) enum Db {
    Pg {
        url: String,
        admin: String,
        name: String,
    },
    Sqlite {
        path: PathBuf,
    },
}

impl Db {
    pub(super) fn url(&self) -> String {
        match self {
            Db::Pg { url, .. } => url.clone(),
            Db::Sqlite { path } => format!("sqlite://{}", path.display()),
        }
    }

    /// One SQL statement through `psql` (its last line of output) or, on SQLite,
    /// a connection of our own (a SELECT's single value as text, else empty).
    pub(super) fn sql(&self, sql: &str) -> String {
        match self {
            Db::Pg { url, .. } => psql(url, sql),
            Db::Sqlite { path } => sqlite_sql(path, sql),
        }
    }

    pub(super) fn number(&self, sql: &str) -> f64 {
        let text = self.sql(sql);
        text.parse()
            .unwrap_or_else(|_| panic!("not a number: {text:?} from {sql}"))
    }

    /// Columns to copy from the template row (all but id and run_code).
    pub(super) fn copy_columns(&self) -> String {
        match self {
            Db::Pg { .. } => self.sql(
                "SELECT string_agg(quote_ident(column_name), ',' ORDER BY ordinal_position) \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name = 'botapp_genrequest' AND column_name NOT IN ('id', 'run_code')",
            ),
            Db::Sqlite { .. } => self.sql(
                "SELECT group_concat('\"' || name || '\"', ',') FROM \
                 pragma_table_info('botapp_genrequest') WHERE name NOT IN ('id', 'run_code')",
            ),
        }
    }

    /// SQL inserting `n` copies of request `template` (fresh run codes), queued.
    pub(super) fn copies_sql(&self, template: i64, n: usize, columns: &str) -> String {
        match self {
            Db::Pg { .. } => format!(
                "INSERT INTO botapp_genrequest ({columns}, run_code) \
                 SELECT {columns}, md5(random()::text || g::text) \
                 FROM bench_template, generate_series(1, {n}) g WHERE id = {template}"
            ),
            Db::Sqlite { .. } => format!(
                "INSERT INTO botapp_genrequest ({columns}, run_code) \
                 WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {n}) \
                 SELECT {columns}, lower(hex(randomblob(16))) \
                 FROM bench_template, g WHERE id = {template}"
            ),
        }
    }

    /// Seconds since the epoch of a timestamp column expression.
    pub(super) fn epoch(&self, expr: &str) -> String {
        match self {
            Db::Pg { .. } => format!("extract(epoch from {expr})::float8"),
            Db::Sqlite { .. } => format!("((julianday({expr}) - 2440587.5) * 86400.0)"),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Pg { admin, name, .. } = self {
            let _ = Command::new("psql")
                .args(["-X", "-q", admin.as_str(), "-c"])
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
