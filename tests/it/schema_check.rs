//! The start-up check of the botapp tables: every command refuses a column that
//! is missing, too narrow, of another type or nullability, or NOT NULL without a
//! value genworker can write — one line per problem naming `table.column`, before
//! anything is written — and `migrate --check` prints the same report, changing
//! nothing. `GENWORKER_COLUMN_DEFAULTS` fills columns genworker does not know.

use std::time::Duration;

use genworker::simulator::{Knobs, Outcome};
use serde_json::json;

use crate::daemon::Harness;
use crate::snapshot::{query_one, snapshot};
use crate::support::{TestDb, failure, genworker_cli, success};

/// A later release's NOT NULL column without a database default (Django's defaults
/// are Python-side), on a table genworker inserts into.
const ADD_CHANNEL: &str = "ALTER TABLE botapp_transaction ADD COLUMN channel varchar(10) NOT NULL DEFAULT 'x'; \
     ALTER TABLE botapp_transaction ALTER COLUMN channel DROP DEFAULT";

/// Each change, and the exact line the report gives for it.
const POSTGRES_CHANGES: [(&str, &str); 7] = [
    (
        "ALTER TABLE botapp_aimodel ALTER COLUMN price TYPE numeric(5,2)",
        "botapp_aimodel.price: genworker reads and writes it as numeric with at least 4 whole \
         digits and 2 decimal places NOT NULL; found numeric(5,2) NOT NULL",
    ),
    (
        "ALTER TABLE botapp_aimodel ALTER COLUMN slug DROP NOT NULL",
        "botapp_aimodel.slug: genworker reads and writes it as varchar(50) or wider NOT NULL; \
         found varchar(50) NULL",
    ),
    (
        "ALTER TABLE botapp_genrequest ALTER COLUMN model TYPE varchar(32)",
        "botapp_genrequest.model: genworker reads and writes it as varchar(64) or wider NOT NULL; \
         found varchar(32) NOT NULL",
    ),
    (
        "ALTER TABLE botapp_genrequest ALTER COLUMN completed_at SET NOT NULL",
        "botapp_genrequest.completed_at: genworker reads and writes it (NULL included) as \
         timestamptz; found timestamptz NOT NULL",
    ),
    (
        "ALTER TABLE botapp_genrequest DROP COLUMN provider_job_id",
        "botapp_genrequest.provider_job_id: genworker reads and writes it as varchar(512) or wider \
         NOT NULL; found no such column",
    ),
    (
        "ALTER TABLE botapp_transaction ALTER COLUMN payment_data TYPE json",
        "botapp_transaction.payment_data: genworker writes it as jsonb NOT NULL; found json NOT NULL",
    ),
    (
        ADD_CHANNEL,
        "botapp_transaction.channel: a value for every row it inserts: the column is NOT NULL \
         without a database default and genworker does not know what the bot writes there; set \
         GENWORKER_COLUMN_DEFAULTS, e.g. {\"botapp_transaction.channel\": <value>}; found \
         varchar(10) NOT NULL",
    ),
];

/// Every refusal, on commands that read, that write and on the daemon: the same
/// lines, exit 1, and nothing written. A column nothing fills stops only the
/// commands that insert into its table (`enqueue`, the daemon's refunds, `migrate`).
#[tokio::test]
async fn postgres_every_refusal_names_its_column_and_nothing_is_written() {
    let db = TestDb::postgres();
    db.migrated().await;
    for (sql, _) in POSTGRES_CHANGES {
        crate::contract::execute_sql(&db, sql);
    }
    let before = snapshot(&db);
    let (unfilled, columns) = POSTGRES_CHANGES.split_last().unwrap();
    let commands: [(&[&str], bool); 5] = [
        (&["models", "list"], false),
        (&["models", "set", "kling-v1", "--price", "1"], false),
        (
            &[
                "enqueue", "--model", "kling-v1", "--prompt", "x", "--user", "5",
            ],
            true,
        ),
        (&["requests", "list"], false),
        (&["run"], true),
    ];
    for (args, inserts_transactions) in commands {
        let stderr = failure(&db.cli(args));
        assert!(
            stderr.starts_with(
                "error: the botapp tables are not what genworker needs, so nothing was done"
            ),
            "{args:?}: {stderr}"
        );
        let mut expected: Vec<&str> = columns.iter().map(|(_, line)| *line).collect();
        if inserts_transactions {
            expected.push(unfilled.1);
        }
        for line in &expected {
            assert!(
                stderr.lines().any(|found| found == *line),
                "{args:?}: `{line}` missing in:\n{stderr}"
            );
        }
        assert_eq!(
            stderr.trim().lines().count(),
            1 + expected.len(),
            "{args:?}: one line per problem:\n{stderr}"
        );
    }
    let checked = db.cli(&["migrate", "--check"]);
    assert_eq!(checked.status.code(), Some(1));
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(report.contains("migrations: all applied"), "{report}");
    assert!(report.contains("7 problem(s):"), "{report}");
    for (_, line) in POSTGRES_CHANGES {
        assert!(
            report.lines().any(|found| found == line),
            "`{line}` in:\n{report}"
        );
    }
    let stderr = failure(&db.cli(&["migrate"]));
    assert!(stderr.contains("so no migration was applied"), "{stderr}");
    assert_eq!(snapshot(&db), before, "a refused command wrote something");
}

/// SQLite's own refusal: a column gone (`ALTER TABLE … DROP COLUMN`).
#[tokio::test]
async fn a_missing_sqlite_column_is_refused_by_name() {
    let db = TestDb::sqlite();
    db.migrated().await;
    crate::contract::execute_sql(
        &db,
        "ALTER TABLE botapp_genrequest DROP COLUMN aspect_ratio",
    );
    let stderr = failure(&db.cli(&["requests", "list"]));
    assert!(
        stderr.ends_with(
            "botapp_genrequest.aspect_ratio: genworker reads and writes it as varchar(10) or wider \
             NOT NULL; found no such column\n"
        ),
        "{stderr}"
    );
    let checked = db.cli(&["migrate", "--check"]);
    assert_eq!(checked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&checked.stdout).contains("botapp_genrequest.aspect_ratio"));
    // `migrate --check | head -0`: the reader is gone, the verdict stands.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_genworker"))
        .args(["migrate", "--check"])
        .current_dir(db.dir.path())
        .env("DATABASE_URL", db.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a closed output hides no problem"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("problem"), "{stderr}");
}

/// `migrate --check` on a database `migrate` has not touched: it says what would
/// happen, exits 0 and creates nothing (not even diesel's bookkeeping table).
#[tokio::test]
async fn postgres_migrate_check_changes_nothing() {
    let fresh = TestDb::postgres();
    let out = success(&fresh.cli(&["migrate", "--check"]));
    assert!(
        out.contains("pending 0001_botapp_tables, 0022_add_kling_model"),
        "{out}"
    );
    assert!(out.contains("seed: would insert kling-v1"), "{out}");
    assert!(out.contains("\nok: "), "{out}");
    assert!(crate::snapshot::table_names(&fresh).is_empty());

    let latest = TestDb::postgres_latest();
    let before = snapshot(&latest);
    let out = success(&latest.cli(&["migrate", "--check"]));
    assert!(
        out.contains(
            "seed: would insert no model: the catalog has the Kling model `kling-v2-5-turbo`"
        ),
        "{out}"
    );
    assert_eq!(snapshot(&latest), before);
    success(&latest.cli(&["migrate"]));
    let out = success(&latest.cli(&["migrate", "--check"]));
    assert!(out.contains("migrations: all applied"), "{out}");
    assert!(!out.contains("seed"), "{out}");
}

/// The operator's values: refused up front when they do not fit their column;
/// otherwise written into every row genworker inserts into that table, the refund
/// of a failed job included (no database error in the middle of a job).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_column_defaults_fill_unknown_columns_in_every_insert() {
    let db = TestDb::postgres();
    db.migrated().await;
    crate::contract::execute_sql(
        &db,
        &format!(
            "{ADD_CHANNEL}; ALTER TABLE botapp_genrequest ADD COLUMN source varchar(8) NOT NULL DEFAULT 'x'; \
             ALTER TABLE botapp_genrequest ALTER COLUMN source DROP DEFAULT; \
             ALTER TABLE botapp_tguser ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now(); \
             ALTER TABLE botapp_tguser ALTER COLUMN seen_at DROP DEFAULT; \
             ALTER TABLE botapp_genrequest ADD COLUMN trace uuid NOT NULL DEFAULT gen_random_uuid(); \
             ALTER TABLE botapp_genrequest ALTER COLUMN trace DROP DEFAULT; \
             ALTER TABLE botapp_userbalance ADD COLUMN fee numeric(4,2) NOT NULL DEFAULT 0; \
             ALTER TABLE botapp_userbalance ALTER COLUMN fee DROP DEFAULT"
        ),
    );
    let url = db.url().to_owned();
    let cli = |defaults: &str, args: &[&str]| {
        genworker_cli(
            db.dir.path(),
            &[
                ("DATABASE_URL", url.as_str()),
                ("GENWORKER_COLUMN_DEFAULTS", defaults),
            ],
            args,
        )
    };
    let stderr = failure(&cli(
        r#"{"botapp_transaction.channel": 5, "botapp_genrequest.source": "a-long-source",
            "botapp_tguser.seen_at": "now", "botapp_genrequest.trace": "not-a-uuid",
            "botapp_userbalance.fee": "99.999"}"#,
        &["enqueue", "--model", "kling-v1", "--prompt", "x"],
    ));
    for line in [
        "botapp_genrequest.trace: a usable value in GENWORKER_COLUMN_DEFAULTS (the database does \
         not read \"not-a-uuid\" as uuid); found uuid NOT NULL",
        "botapp_userbalance.fee: a usable value in GENWORKER_COLUMN_DEFAULTS (99.999 has 3 \
         decimal places; numeric(4,2) holds 2); found numeric(4,2) NOT NULL",
        "botapp_transaction.channel: a usable value in GENWORKER_COLUMN_DEFAULTS (5 is not a \
         value for varchar(10)); found varchar(10) NOT NULL",
        "botapp_genrequest.source: a usable value in GENWORKER_COLUMN_DEFAULTS (13 characters do \
         not fit varchar(8) (at most 8)); found varchar(8) NOT NULL",
    ] {
        assert!(
            stderr.lines().any(|found| found == line),
            "`{line}` in:\n{stderr}"
        );
    }
    let defaults = json!({
        "botapp_transaction.channel": "bot",
        "botapp_genrequest.source": "telegram",
        "botapp_tguser.seen_at": "now",
        "botapp_genrequest.trace": "00000000-0000-4000-8000-000000000001",
        "botapp_userbalance.fee": 1.5,
    })
    .to_string();
    let made: serde_json::Value = serde_json::from_str(&success(&cli(
        &defaults,
        &[
            "enqueue", "--model", "kling-v1", "--prompt", "x", "--user", "5", "--json",
        ],
    )))
    .unwrap();
    let id = made["id"].as_i64().unwrap();
    assert_eq!(
        query_one(
            &db,
            &format!("SELECT source FROM botapp_genrequest WHERE id = {id}")
        ),
        "telegram"
    );
    assert_eq!(
        query_one(
            &db,
            "SELECT string_agg(channel, ',') FROM botapp_transaction"
        ),
        "bot"
    );
    assert_eq!(
        query_one(
            &db,
            "SELECT (now() - seen_at < interval '1 minute')::text FROM botapp_tguser"
        ),
        "true"
    );

    // The daemon refunds a rejected task: the refund row gets the operator's value too.
    let h = Harness::new(db, &[("GENWORKER_COLUMN_DEFAULTS", defaults.as_str())]).await;
    let request = h
        .enqueue("rejected", "text2video", json!({}), Some(6))
        .await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "content policy".into(),
        },
        ..Knobs::default()
    });
    let daemon = h.start("w1", &[]);
    h.wait_final(&[id, request.id], Duration::from_secs(30))
        .await;
    daemon.shutdown().await;
    assert_eq!(h.request(id).await.status, "error");
    assert_eq!(h.request(request.id).await.status, "error");
    assert_eq!(
        query_one(
            &h.db,
            "SELECT string_agg(type || ':' || channel, ',' ORDER BY id) FROM botapp_transaction"
        ),
        "generation:bot,generation:bot,refund:bot,refund:bot"
    );
}

/// On SQLite (where a NOT NULL column without a default can only come with the
/// table): Django's tables with one more such column on `botapp_transaction`. The
/// refusal names it, stops `migrate` before anything is written, and the
/// operator's value then goes into the charge.
#[tokio::test]
async fn sqlite_column_defaults_fill_a_later_not_null_column() {
    let db = TestDb::sqlite();
    let path = format!(
        "{}/migrations/sqlite/0001_botapp_tables/up.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let tables = std::fs::read_to_string(path).unwrap().replace(
        "\"related_transaction_id\" bigint NULL REFERENCES \"botapp_transaction\" (\"id\") DEFERRABLE INITIALLY DEFERRED);",
        "\"related_transaction_id\" bigint NULL REFERENCES \"botapp_transaction\" (\"id\") DEFERRABLE INITIALLY DEFERRED, \"channel\" varchar(10) NOT NULL);",
    );
    assert!(tables.contains("\"channel\""));
    crate::contract::execute_sql(&db, &tables);
    let before = snapshot(&db);
    let stderr = failure(&db.cli(&["migrate"]));
    assert!(
        stderr.ends_with(
            "botapp_transaction.channel: a value for every row it inserts: the column is NOT NULL \
             without a database default and genworker does not know what the bot writes there; \
             set GENWORKER_COLUMN_DEFAULTS, e.g. {\"botapp_transaction.channel\": <value>}; found \
             varchar(10) NOT NULL\n"
        ),
        "{stderr}"
    );
    assert_eq!(snapshot(&db), before, "a refused migrate wrote something");
    let url = db.url().to_owned();
    let env = [
        ("DATABASE_URL", url.as_str()),
        (
            "GENWORKER_COLUMN_DEFAULTS",
            r#"{"botapp_transaction.channel": "bot"}"#,
        ),
    ];
    let checked = success(&genworker_cli(db.dir.path(), &env, &["migrate", "--check"]));
    assert!(
        checked.contains("fills botapp_transaction.channel: 'bot' (GENWORKER_COLUMN_DEFAULTS)"),
        "{checked}"
    );
    success(&genworker_cli(db.dir.path(), &env, &["migrate"]));
    success(&genworker_cli(
        db.dir.path(),
        &env,
        &[
            "enqueue", "--model", "kling-v1", "--prompt", "x", "--user", "5",
        ],
    ));
    assert_eq!(
        query_one(&db, "SELECT channel FROM botapp_transaction"),
        "bot"
    );
}
