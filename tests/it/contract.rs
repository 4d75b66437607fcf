//! The schema contract: a migrated database must hold exactly the columns,
//! types, nullability, indexes and constraints Django creates
//! (tests/contract/*.tsv, a copy of ../shared/contract/); beside the bot's latest
//! release, `genworker migrate` must leave its six tables exactly as that release
//! made them (tests/contract/latest/).

mod introspect;

use std::collections::BTreeMap;

use diesel::{Connection, PgConnection, SqliteConnection};

use crate::support::{TestDb, on_both_backends};
use introspect::Schema;

on_both_backends!(
    migrated_schema_matches_the_contract,
    contract_check_fails_on_any_difference
);

const TABLES: [&str; 5] = [
    "botapp_tguser",
    "botapp_userbalance",
    "botapp_transaction",
    "botapp_aimodel",
    "botapp_genrequest",
];

/// The six tables of the latest release's contract.
const LATEST_TABLES: [&str; 6] = [
    "botapp_tguser",
    "botapp_userbalance",
    "botapp_transaction",
    "botapp_aimodel",
    "botapp_genrequest",
    "botapp_usersettings",
];

/// The contract for one backend, as read from the TSV files of `tests/<folder>/`.
fn contract(folder: &str, backend: &str) -> Schema {
    let read = |kind: &str| {
        let path = format!(
            "{}/tests/{folder}/botapp_{kind}.{backend}.tsv",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in read("columns").lines().skip(1).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let constraints = fields.get(4).copied().unwrap_or("");
        columns
            .entry(fields[0].to_owned())
            .or_default()
            .push(introspect::column_row(
                fields[1],
                fields[2],
                fields[3],
                constraints,
            ));
    }
    let mut indexes: Vec<String> = read("indexes")
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(introspect::normalise)
        .collect();
    indexes.sort();
    Schema { columns, indexes }
}

fn backend_name(db: &TestDb) -> &'static str {
    if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    }
}

fn introspect(db: &TestDb, tables: &[&str]) -> Schema {
    if db.is_postgres() {
        introspect::postgres::read(&mut PgConnection::establish(db.url()).unwrap(), tables)
    } else {
        let path = db.url().trim_start_matches("sqlite://").to_owned();
        introspect::sqlite::read(&mut SqliteConnection::establish(&path).unwrap(), tables)
    }
}

/// Every line where `actual` and `expected` differ.
fn differences(actual: &Schema, expected: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let tables: std::collections::BTreeSet<&String> = actual
        .columns
        .keys()
        .chain(expected.columns.keys())
        .collect();
    for table in tables {
        let have = actual.columns.get(table).cloned().unwrap_or_default();
        let want = expected.columns.get(table).cloned().unwrap_or_default();
        for row in 0..have.len().max(want.len()) {
            let (have, want) = (have.get(row), want.get(row));
            if have != want {
                found.push(format!(
                    "{table} column {row}: have {have:?}, want {want:?}"
                ));
            }
        }
    }
    for missing in expected
        .indexes
        .iter()
        .filter(|i| !actual.indexes.contains(i))
    {
        found.push(format!("missing index/constraint: {missing}"));
    }
    for extra in actual
        .indexes
        .iter()
        .filter(|i| !expected.indexes.contains(i))
    {
        found.push(format!("unexpected index/constraint: {extra}"));
    }
    found
}

async fn migrated_schema_matches_the_contract(db: TestDb) {
    db.migrated().await;
    let found = differences(
        &introspect(&db, &TABLES),
        &contract("contract", backend_name(&db)),
    );
    assert!(
        found.is_empty(),
        "schema differs from the contract:\n{}",
        found.join("\n")
    );
}

/// Scratch changes, each of one kind the contract covers, must each be caught.
async fn contract_check_fails_on_any_difference(db: TestDb) {
    db.migrated().await;
    let expected = contract("contract", backend_name(&db));
    let scratch_changes: &[(&str, &str)] = if db.is_postgres() {
        &[
            (
                "type",
                "ALTER TABLE botapp_aimodel ALTER COLUMN price TYPE numeric(7,2)",
            ),
            (
                "nullability",
                "ALTER TABLE botapp_aimodel ALTER COLUMN daily_limit SET NOT NULL",
            ),
            ("index", "DROP INDEX botapp_genrequest_status_53184a97_like"),
            (
                "constraint",
                "ALTER TABLE botapp_genrequest ALTER CONSTRAINT \
                 botapp_genrequest_user_id_c7a552cc_fk_botapp_tguser_id NOT DEFERRABLE",
            ),
            (
                "column",
                "ALTER TABLE botapp_tguser ADD COLUMN nickname text NULL",
            ),
        ]
    } else {
        &[
            ("index", "DROP INDEX botapp_genrequest_status_53184a97"),
            (
                "index definition",
                "CREATE INDEX botapp_genrequest_status_53184a97 ON botapp_genrequest (status DESC)",
            ),
            (
                "column",
                "ALTER TABLE botapp_tguser ADD COLUMN nickname text NULL",
            ),
            (
                "type, nullability and constraint",
                "DROP TABLE botapp_userbalance; CREATE TABLE \"botapp_userbalance\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"balance\" real NOT NULL, \"total_spent\" decimal NULL, \"total_deposited\" decimal NOT NULL, \"bonus_balance\" decimal NOT NULL, \"referral_code\" varchar(20) NULL, \"referral_earnings\" decimal NOT NULL, \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL, \"referred_by_id\" bigint NULL REFERENCES \"botapp_tguser\" (\"id\"), \"user_id\" bigint NOT NULL UNIQUE REFERENCES \"botapp_tguser\" (\"id\") DEFERRABLE INITIALLY DEFERRED); CREATE INDEX \"botapp_userbalance_referred_by_id_6eaab636\" ON \"botapp_userbalance\" (\"referred_by_id\")",
            ),
        ]
    };
    let mut before = differences(&introspect(&db, &TABLES), &expected).len();
    assert_eq!(
        before, 0,
        "the migrated schema must match before the scratch changes"
    );
    for (kind, sql) in scratch_changes {
        execute_sql(&db, sql);
        let now = differences(&introspect(&db, &TABLES), &expected).len();
        assert!(now > before, "a changed {kind} went unnoticed: {sql}");
        before = now;
    }
}

/// Runs SQL statements on a test database outside genworker's code.
pub fn execute_sql(db: &TestDb, sql: &str) {
    use diesel::connection::SimpleConnection;
    if db.is_postgres() {
        PgConnection::establish(db.url())
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    } else {
        let path = db.url().trim_start_matches("sqlite://").to_owned();
        let mut conn = SqliteConnection::establish(&path).unwrap();
        // Wait for a running daemon's write lock as its own connections do,
        // rather than fail at once with "database is locked".
        conn.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
        conn.batch_execute(sql).unwrap();
    }
}

/// Beside the latest release: the bot's six tables before and after `genworker
/// migrate` (twice) are exactly that release's contract.
#[tokio::test]
async fn postgres_latest_migrate_leaves_the_bots_tables_as_the_release_made_them() {
    let db = TestDb::postgres_latest();
    let expected = contract("contract/latest", "postgres");
    let before = differences(&introspect(&db, &LATEST_TABLES), &expected);
    assert!(
        before.is_empty(),
        "the loaded release differs:\n{}",
        before.join("\n")
    );
    db.migrated().await;
    db.migrated().await;
    let after = differences(&introspect(&db, &LATEST_TABLES), &expected);
    assert!(
        after.is_empty(),
        "migrate changed the bot's tables:\n{}",
        after.join("\n")
    );
}

/// Each copy in this repository equals its original in `../shared/` (when present;
/// CI runs without it and uses the copies as they are).
#[test]
fn the_copies_match_shared() {
    let root = env!("CARGO_MANIFEST_DIR");
    let shared = format!("{root}/../shared");
    if !std::path::Path::new(&shared).is_dir() {
        eprintln!("{shared} not present; the committed copies are used as they are");
        return;
    }
    // (original folder, copy, the files copied, the original's files not copied on
    // purpose; `None`: only these files are copied).
    type Copy = (
        &'static str,
        &'static str,
        &'static [&'static str],
        Option<&'static [&'static str]>,
    );
    let copies: [Copy; 5] = [
        (
            "contract",
            "tests/contract",
            &[
                "botapp_columns.postgres.tsv",
                "botapp_columns.sqlite.tsv",
                "botapp_indexes.postgres.tsv",
                "botapp_indexes.sqlite.tsv",
            ],
            Some(&["README.md"]),
        ),
        (
            "contract/latest",
            "tests/contract/latest",
            &[
                "README.md",
                "botapp_columns.postgres.tsv",
                "botapp_indexes.postgres.tsv",
                "changes.md",
            ],
            Some(&[]),
        ),
        (
            "contract/usersettings",
            "tests/contract/usersettings",
            &[
                "README.md",
                "botapp_usersettings.postgres.tsv",
                "botapp_usersettings.sqlite.tsv",
                "botapp_usersettings_indexes.postgres.tsv",
                "botapp_usersettings_indexes.sqlite.tsv",
            ],
            Some(&["gen_contract.py"]),
        ),
        (
            "bot/latest_db",
            "tests/bot/latest_db",
            &["README.md", "data.postgres.sql", "schema.postgres.sql"],
            Some(&[]),
        ),
        ("bot", "tests/bot", &["messages.json"], None),
    ];
    for (from, to, files, not_copied) in copies {
        for file in files {
            let original = format!("{shared}/{from}/{file}");
            let copy = format!("{root}/{to}/{file}");
            assert_eq!(
                std::fs::read_to_string(&original).unwrap(),
                std::fs::read_to_string(&copy).unwrap_or_default(),
                "{copy} differs from {original}"
            );
        }
        let Some(not_copied) = not_copied else {
            continue;
        };
        let originals = std::fs::read_dir(format!("{shared}/{from}"))
            .unwrap()
            .flatten()
            .filter(|entry| entry.path().is_file())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !not_copied.contains(&name.as_str()))
            .count();
        assert_eq!(originals, files.len(), "{from}: a file is not copied");
    }
}
