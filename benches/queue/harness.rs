//! The bench itself: [`Bench`] (the run's options, its scratch folder, the
//! simulator's address and the table being filled), the fresh database and the
//! daemon each section starts, the simulator's knobs and counters, and the table
//! printed at the end.

use std::process::{Command, Stdio};

use crate::common::{BIN, KillOnDrop, put_knobs};
use crate::db::Db;
use crate::procs::Proc;

/// The simulator's Kling API key.
pub(super) const KEY: &str = "bench-key";
/// The simulator's Kling secret (the official style's JWT key).
pub(super) const SECRET: &str = "bench-secret";

/// One benchmark run: its options, scratch folder, simulator and the rows so far.
pub(super) struct Bench {
    pub(super) quick: bool,
    /// `--smoke`: the quick run with the smallest counts, for scripts/test.sh
    /// (a debug build: it proves the harness runs, its figures prove nothing).
    pub(super) smoke: bool,
    pub(super) dir: tempfile::TempDir,
    pub(super) admin_url: String,
    pub(super) sim_base: String,
    pub(super) http: reqwest::Client,
    pub(super) counter: std::cell::Cell<u32>,
    pub(super) rows: Vec<[String; 4]>,
    pub(super) goals_missed: Vec<String>,
    pub(super) capacity_sizes: Option<Vec<usize>>,
}

impl Bench {
    pub(super) fn next(&self) -> u32 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }

    /// A fresh migrated database with one queued template request; returns it and the template id.
    pub(super) fn database(&self, pg: bool) -> (Db, i64) {
        let n = self.next();
        let db = if pg {
            let name = format!("gw_bench_{}_{n}", std::process::id());
            let (base, _) = self
                .admin_url
                .rsplit_once('/')
                .expect("database URL with a path");
            let status = Command::new("psql")
                .args(["-X", "-q", &self.admin_url, "-c"])
                .arg(format!("CREATE DATABASE {name}"))
                .status()
                .expect("psql");
            assert!(status.success(), "cannot create database {name}");
            Db::Pg {
                url: format!("{base}/{name}"),
                admin: self.admin_url.clone(),
                name,
            }
        } else {
            Db::Sqlite {
                path: self.dir.path().join(format!("bench-{n}.sqlite3")),
            }
        };
        let run = |args: &[&str]| {
            let output = Command::new(BIN)
                .args(args)
                .env("DATABASE_URL", db.url())
                .env("RUST_LOG", "warn")
                .current_dir(self.dir.path())
                .output()
                .expect("run genworker");
            assert!(
                output.status.success(),
                "genworker {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        run(&["migrate"]);
        run(&["enqueue", "--model", "kling-v1", "--prompt", "benchmark"]);
        let template = db.number("SELECT max(id) FROM botapp_genrequest") as i64;
        // A pristine copy: the daemon soon claims the template itself, and copies must be queued.
        db.sql(&format!(
            "CREATE TABLE bench_template AS SELECT * FROM botapp_genrequest WHERE id = {template}"
        ));
        (db, template)
    }

    /// `genworker run` on `db` against the simulator, Telegram off.
    pub(super) fn daemon(&self, db: &Db, env: &[(&str, String)]) -> Proc {
        let n = self.next();
        let log = self.dir.path().join(format!("daemon-{n}.log"));
        let mut command = Command::new(BIN);
        command
            .arg("run")
            .current_dir(self.dir.path())
            .env_remove("TELEGRAM_BOT_TOKEN")
            .env("DATABASE_URL", db.url())
            .env("KLING_API_KEY", KEY)
            .env("KLING_API_BASE_URL", &self.sim_base)
            .env("KLING_ALLOW_PRIVATE_URLS", "true")
            .env("MEDIA_ROOT", self.dir.path().join(format!("media-{n}")))
            .env("GENWORKER_SHUTDOWN_GRACE", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        Proc {
            child: KillOnDrop(Some(command.spawn().expect("start genworker run"))),
            log,
        }
    }

    pub(super) async fn knobs(&self, finish_after_ms: u64) {
        let knobs = serde_json::json!({
            "finish_after_ms": finish_after_ms, "video_bytes": 1024,
            "result": "Url", "outcome": "Succeed",
        });
        put_knobs(&self.http, &self.sim_base, &knobs).await;
    }

    /// Kling API calls (create + status + lookup) and video downloads so far.
    pub(super) async fn kling_calls(&self) -> (f64, f64) {
        let stats: serde_json::Value = self
            .http
            .get(format!("{}/_sim/stats", self.sim_base))
            .send()
            .await
            .expect("simulator stats")
            .json()
            .await
            .expect("stats JSON");
        let calls = &stats["calls"];
        let get = |name: &str| calls[name].as_f64().unwrap_or(0.0);
        (
            get("KlingCreate") + get("KlingStatus") + get("KlingLookup"),
            get("VideoFile"),
        )
    }

    pub(super) fn row(
        &mut self,
        what: impl Into<String>,
        figure: String,
        baseline: String,
        result: String,
    ) {
        let row = [what.into(), figure, baseline, result];
        eprintln!("  => {} | {} | {} | {}", row[0], row[1], row[2], row[3]);
        self.rows.push(row);
    }

    pub(super) fn goal(&mut self, met: bool, what: String) -> String {
        if met {
            "met".into()
        } else {
            self.goals_missed.push(what);
            "MISSED".into()
        }
    }
}

/// The rows as one Markdown table on standard output.
pub(super) fn print_table(rows: &[[String; 4]]) {
    let headers = ["measurement", "figure", "baseline / goal", "result"];
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - c.chars().count())))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(headers);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    println!("|-{}-|", rule.join("-|-"));
    for row in rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
}
