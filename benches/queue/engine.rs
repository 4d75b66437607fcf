//! The queue engine's own speed (issue 17): the daemon with the instant test
//! provider (no HTTP; its 32-byte videos go to a tmpfs folder) run until the
//! queue is empty, on PostgreSQL, beside pgbench's one-row and 32-row batched
//! claim→done floors in the same run; and the daemon's instructions per
//! request under `valgrind --tool=callgrind`, the difference of two runs (a
//! small and a large one) over the difference of their requests, so start-up
//! and migrations cancel out.
//!
//! The daemon runs as a child process: this bench program again, with
//! `--engine-daemon` (see [`child`]), so its CPU and instructions are its own.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Instant;

use genworker::daemon::Daemon;
use genworker::db::live::{Tables, needs};
use genworker::db::{Database, OpenMode};
use genworker::provider::ProviderRegistry;
use genworker::provider::instant::InstantProvider;
use genworker::settings::Settings;

use super::{Bench, Db, pgbench_floor};

/// The argument that makes this program the daemon under test.
pub(super) const CHILD_ARG: &str = "--engine-daemon";
/// Jobs in flight (the daemon's and the provider's concurrency).
const CONCURRENCY: &str = "256";

/// The daemon under test: the environment's settings, the instant provider
/// serving `kling`, run until nothing is queued.
pub(super) async fn child() {
    let settings =
        Settings::from_sources(None, std::env::vars().collect()).expect("engine daemon settings");
    let db = Database::open(
        &settings.database_url,
        OpenMode::MustExist,
        settings.db_pool_size,
    )
    .await
    .expect("open the database");
    let tables = Tables::read(&db, &settings.column_defaults, &needs::INSERTED)
        .await
        .expect("read the tables");
    let mut registry = ProviderRegistry::default();
    let concurrency = settings.daemon.concurrency;
    registry.add("kling", Ok(InstantProvider::new("kling", concurrency)));
    Daemon::new(&settings, db, Arc::new(tables), registry)
        .expect("build the daemon")
        .run_until_idle()
        .await
        .expect("run the daemon");
}

impl Bench {
    pub(super) async fn engine(&mut self) {
        let n = match (self.smoke, self.quick) {
            (true, _) => 500,
            (false, true) => 5_000,
            (false, false) => 50_000,
        };
        eprintln!("engine: PostgreSQL, {n} requests, instant provider");
        let (db, template) = self.database(true);
        let columns = db.copy_columns();
        db.sql(&db.copies_sql(template, n - 1, &columns));
        db.sql("VACUUM ANALYZE");
        let started = Instant::now();
        let status = self.run_engine(&db, None);
        let wall = started.elapsed().as_secs_f64();
        assert!(status.success(), "engine daemon failed: {status}");
        let done = db.number("SELECT count(*) FROM botapp_genrequest WHERE status = 'done'");
        assert_eq!(done, n as f64, "the engine left requests not done");
        let span = db.number(&format!(
            "SELECT {} - {} FROM botapp_genrequest",
            db.epoch("max(completed_at)"),
            db.epoch("min(started_at)")
        ));
        let rate = n as f64 / span;
        let pool = 10;
        let one = pgbench_floor(self, &db, n, pool, 1);
        let batched = pgbench_floor(self, &db, n, pool, 32);
        let (one_ratio, batched_ratio) = (100.0 * rate / one, 100.0 * rate / batched);
        let result = self.goal(
            one_ratio >= 100.0,
            format!("engine {rate:.0} req/s = {one_ratio:.0} % of the one-row floor {one:.0}/s"),
        );
        self.row(
            format!("engine, PostgreSQL, instant provider, concurrency {CONCURRENCY}, pool {pool}"),
            format!("{rate:.0} req/s ({n} in {span:.1} s; process {wall:.1} s)"),
            format!(
                "pgbench one-row floor {one:.0} rows/s: {one_ratio:.0} % (goal ≥100 %); \
                 32-row floor {batched:.0} rows/s: {batched_ratio:.0} % (stretch ≥50 %)"
            ),
            result,
        );
        self.instructions().await;
    }

    /// The daemon's instructions per request: callgrind on a small and a large run.
    async fn instructions(&mut self) {
        if Command::new("valgrind")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("engine: valgrind not found; instructions per request not measured");
            return;
        }
        let (small, large) = if self.smoke { (20, 120) } else { (200, 2_200) };
        let mut counts = Vec::new();
        for n in [small, large] {
            eprintln!("engine: callgrind, {n} requests");
            let (db, template) = self.database(true);
            let columns = db.copy_columns();
            db.sql(&db.copies_sql(template, n - 1, &columns));
            db.sql("VACUUM ANALYZE");
            let out = self.dir.path().join(format!("callgrind-{n}.out"));
            let status = self.run_engine(&db, Some(&out));
            assert!(status.success(), "engine daemon under callgrind: {status}");
            let done = db.number("SELECT count(*) FROM botapp_genrequest WHERE status = 'done'");
            assert_eq!(done, n as f64, "callgrind run left requests not done");
            counts.push(callgrind_total(&out));
            keep_profile(&out);
        }
        let per_request = (counts[1] - counts[0]) / (large - small) as f64;
        self.row(
            "engine, instructions per request (callgrind, daemon process)",
            format!(
                "{per_request:.0} instructions/request ({large} − {small} requests: {:.0} − {:.0})",
                counts[1], counts[0]
            ),
            "—".into(),
            "figure only (goal: half the figure before issue 17's change)".into(),
        );
    }

    /// Runs the engine daemon on `db` to its end (under callgrind writing to
    /// `callgrind` when given), its videos in a tmpfs folder removed after.
    fn run_engine(&self, db: &Db, callgrind: Option<&Path>) -> ExitStatus {
        let me = std::env::current_exe().expect("the bench's own path");
        let mut command = match callgrind {
            Some(out) => {
                let mut command = Command::new("valgrind");
                command
                    .arg("--tool=callgrind")
                    .arg("--quiet")
                    .arg("--max-threads=2048")
                    .arg(format!("--callgrind-out-file={}", out.display()))
                    .arg(me);
                command
            }
            None => Command::new(me),
        };
        let media =
            Path::new("/dev/shm").join(format!("gw-engine-{}-{}", std::process::id(), self.next()));
        command
            .arg(CHILD_ARG)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", db.url())
            .env("MEDIA_ROOT", &media)
            .env("GENWORKER_CONCURRENCY", CONCURRENCY)
            .env("GENWORKER_TAKEOVER", "false")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let status = command.status().expect("start the engine daemon");
        let _ = std::fs::remove_dir_all(&media);
        status
    }
}

/// Copies a callgrind output into `BENCH_CALLGRIND_KEEP` (a folder) when set,
/// for `callgrind_annotate`: where the instructions go, not just how many.
fn keep_profile(out: &Path) {
    let Some(folder) = std::env::var_os("BENCH_CALLGRIND_KEEP") else {
        return;
    };
    let folder = Path::new(&folder);
    std::fs::create_dir_all(folder).expect("create BENCH_CALLGRIND_KEEP");
    let name = out.file_name().expect("a callgrind output file name");
    std::fs::copy(out, folder.join(name)).expect("copy the callgrind output");
    eprintln!("engine: kept {}", folder.join(name).display());
}

/// The total instructions (`Ir`) a callgrind output file reports.
fn callgrind_total(out: &Path) -> f64 {
    let text = std::fs::read_to_string(out).expect("callgrind output");
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals: ")
                .or_else(|| line.strip_prefix("summary: "))
        })
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .expect("callgrind totals")
}
