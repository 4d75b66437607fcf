//! Queue benchmarks (issue 5): throughput against a pgbench floor, pickup latency,
//! capacity (thousands of Kling jobs in flight), idle cost, and crash recovery
//! (issue 16: SIGKILL with jobs in flight, with the takeover and with the lease
//! alone), and provider calls per video and delivery delay with polling and with callbacks.
//!
//! Everything runs as separate processes: `genworker simulate` plays Kling,
//! `genworker run` is the daemon under test (so its CPU and RSS are its own, read
//! from `/proc/<pid>`), and this program inserts requests and reads the results
//! from the database. Each PostgreSQL section uses its own database
//! (`gw_bench_<pid>_<n>`), dropped at the end.
//!
//! Run: `scripts/bench.sh` (full) or `scripts/bench.sh --quick` (small counts, < 60 s);
//! `scripts/bench.sh --smoke` (debug build, smallest counts: scripts/test.sh);
//! or `cargo bench --bench queue -- [--quick] [--only idle,latency,throughput,capacity,recovery,callbacks,engine]`.
//! PostgreSQL: `BENCH_DATABASE_URL` (else `TEST_DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`); `pgbench` and `psql` on PATH.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

#[path = "queue/callbacks.rs"]
mod callbacks;
#[path = "queue/engine.rs"]
mod engine;
#[path = "queue/floor.rs"]
mod floor;
#[path = "queue/recovery.rs"]
mod recovery;

use floor::pgbench_floor;

const BIN: &str = env!("CARGO_BIN_EXE_genworker");
const KEY: &str = "bench-key";
/// The simulator's Kling secret (the official style's JWT key).
const SECRET: &str = "bench-secret";

// ---------------------------------------------------------------- processes

/// A child process killed (SIGKILL) when dropped, unless stopped before.
struct Proc {
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGTERM, then waits (SIGKILL after 30 s).
    fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!("  (process did not exit within 30 s of SIGTERM; killed)");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn assert_alive(&mut self, what: &str) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            panic!(
                "{what} exited ({status}); last log lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `utime + stime` of a process in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After "(comm) ": field 3 (state) is index 0, so utime (14) is 11, stime (15) is 12.
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / clock_ticks()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// A `/proc/<pid>/status` field in MiB (`VmRSS`, `VmHWM`).
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------- databases

/// One statement through `psql`; the last line of its output.
fn psql(url: &str, sql: &str) -> String {
    last_line(
        Command::new("psql").args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql]),
        sql,
    )
}

/// Committed + rolled back transactions of a PostgreSQL database so far (0 on SQLite).
/// Read from the admin database, so the reading itself is not counted.
fn pg_xacts(db: &Db) -> f64 {
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
enum Db {
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
    fn url(&self) -> String {
        match self {
            Db::Pg { url, .. } => url.clone(),
            Db::Sqlite { path } => format!("sqlite://{}", path.display()),
        }
    }

    /// One SQL statement through `psql` (its last line of output) or, on SQLite,
    /// a connection of our own (a SELECT's single value as text, else empty).
    fn sql(&self, sql: &str) -> String {
        match self {
            Db::Pg { url, .. } => psql(url, sql),
            Db::Sqlite { path } => sqlite_sql(path, sql),
        }
    }

    fn number(&self, sql: &str) -> f64 {
        let text = self.sql(sql);
        text.parse()
            .unwrap_or_else(|_| panic!("not a number: {text:?} from {sql}"))
    }

    /// Columns to copy from the template row (all but id and run_code).
    fn copy_columns(&self) -> String {
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
    fn copies_sql(&self, template: i64, n: usize, columns: &str) -> String {
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
    fn epoch(&self, expr: &str) -> String {
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

// ---------------------------------------------------------------- the bench

/// Whether request `$1` is final (done or error).
const FINAL_SQL: &str =
    "SELECT count(*) FROM botapp_genrequest WHERE id = $1 AND status IN ('done', 'error')";

struct Bench {
    quick: bool,
    /// `--smoke`: the quick run with the smallest counts, for scripts/test.sh
    /// (a debug build: it proves the harness runs, its figures prove nothing).
    smoke: bool,
    dir: tempfile::TempDir,
    admin_url: String,
    sim_base: String,
    http: reqwest::Client,
    counter: std::cell::Cell<u32>,
    rows: Vec<[String; 4]>,
    goals_missed: Vec<String>,
    capacity_sizes: Option<Vec<usize>>,
}

impl Bench {
    fn next(&self) -> u32 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }

    /// A fresh migrated database with one queued template request; returns it and the template id.
    fn database(&self, pg: bool) -> (Db, i64) {
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
    fn daemon(&self, db: &Db, env: &[(&str, String)]) -> Proc {
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
            child: Some(command.spawn().expect("start genworker run")),
            log,
        }
    }

    async fn knobs(&self, finish_after_ms: u64) {
        let knobs = serde_json::json!({
            "finish_after_ms": finish_after_ms, "video_bytes": 1024,
            "result": "Url", "outcome": "Succeed",
        });
        let response = self
            .http
            .put(format!("{}/_sim/knobs", self.sim_base))
            .json(&knobs)
            .send()
            .await
            .expect("simulator knobs");
        assert!(
            response.status().is_success(),
            "knobs: {}",
            response.status()
        );
    }

    /// Kling API calls (create + status + lookup) and video downloads so far.
    async fn kling_calls(&self) -> (f64, f64) {
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

    fn row(&mut self, what: impl Into<String>, figure: String, baseline: String, result: String) {
        let row = [what.into(), figure, baseline, result];
        eprintln!("  => {} | {} | {} | {}", row[0], row[1], row[2], row[3]);
        self.rows.push(row);
    }

    fn goal(&mut self, met: bool, what: String) -> String {
        if met {
            "met".into()
        } else {
            self.goals_missed.push(what);
            "MISSED".into()
        }
    }

    // ------------------------------------------------------------ idle

    async fn idle(&mut self) -> f64 {
        let seconds = if self.quick { 3.0 } else { 60.0 };
        let mut baseline_rss = 0.0;
        for pg in [true, false] {
            let backend = if pg { "PostgreSQL" } else { "SQLite" };
            eprintln!("idle: {backend}, {seconds} s");
            let (db, _) = self.database(pg);
            // Nothing to claim: the template request is set aside.
            db.sql("UPDATE botapp_genrequest SET status = 'cancelled'");
            let mut daemon = self.daemon(&db, &[]);
            tokio::time::sleep(Duration::from_secs(if self.quick { 1 } else { 3 })).await;
            daemon.assert_alive("daemon");
            let pid = daemon.pid();
            let (cpu0, x0, t0) = (cpu_seconds(pid), pg_xacts(&db), Instant::now());
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            let (cpu1, x1, wall) = (cpu_seconds(pid), pg_xacts(&db), t0.elapsed().as_secs_f64());
            daemon.assert_alive("daemon");
            let rss = status_mib(pid, "VmRSS:");
            if pg {
                baseline_rss = rss;
            }
            daemon.stop();
            let cpu = 100.0 * (cpu1 - cpu0) / wall;
            let per_minute = (x1 - x0) * 60.0 / wall;
            let queries = if pg {
                format!(
                    ", {per_minute:.0} transactions/min (pg_stat_database xact_commit+rollback)"
                )
            } else {
                String::new()
            };
            self.row(
                format!("idle daemon, {backend}, {seconds:.0} s"),
                format!("CPU {cpu:.2} %{queries}"),
                format!("RSS {rss:.1} MiB"),
                "figure only".into(),
            );
        }
        baseline_rss
    }

    // ------------------------------------------------------------ latency

    async fn latency(&mut self) {
        self.knobs(0).await;
        for pg in [true, false] {
            let m = match (pg, self.quick) {
                (true, false) => 2000,
                (true, true) if self.smoke => 50,
                (true, true) => 200,
                (false, false) => 100,
                (false, true) => 6,
            };
            let backend = if pg {
                "PostgreSQL, NOTIFY (poll 3600 s)"
            } else {
                "SQLite, polling (default 0.5 s)"
            };
            eprintln!("pickup latency: {backend}, {m} inserts");
            let (db, template) = self.database(pg);
            let columns = db.copy_columns();
            let mut env = vec![("KLING_POLL_INTERVAL", "0.001".to_owned())];
            if pg {
                env.push(("GENWORKER_POLL_INTERVAL", "3600".to_owned()));
            }
            let mut daemon = self.daemon(&db, &env);
            // The template itself is claimed at start-up; wait for it (the daemon is up).
            let deadline = Instant::now() + Duration::from_secs(30);
            while db.number(&format!(
                "SELECT count(*) FROM botapp_genrequest WHERE id = {template} AND started_at IS NOT NULL"
            )) < 1.0
            {
                daemon.assert_alive("daemon");
                assert!(Instant::now() < deadline, "template request never claimed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let insert = format!("{} RETURNING id", db.copies_sql(template, 1, &columns));
            let started = format!(
                "SELECT {} FROM botapp_genrequest WHERE id = $1",
                db.epoch("started_at")
            );
            let mut samples = Vec::with_capacity(m);
            // A random gap of up to one poll interval between a job's end and the next insert.
            let gap = if pg { 0.02 } else { 0.5 };
            let pause = || Duration::from_secs_f64(rand::random::<f64>() * gap);
            let warmup = 5;
            match &db {
                Db::Pg { url, .. } => {
                    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                        .await
                        .unwrap();
                    tokio::spawn(connection);
                    let insert = client.prepare(&insert).await.unwrap();
                    let started = client.prepare(&started).await.unwrap();
                    let done = client.prepare(FINAL_SQL).await.unwrap();
                    for i in 0..m + warmup {
                        let id: i64 = client.query_one(&insert, &[]).await.unwrap().get(0);
                        let committed = now_epoch();
                        let deadline = Instant::now() + Duration::from_secs(20);
                        let claimed = loop {
                            let at: Option<f64> =
                                client.query_one(&started, &[&id]).await.unwrap().get(0);
                            if let Some(at) = at {
                                break at;
                            }
                            assert!(Instant::now() < deadline, "request {id} never claimed");
                            tokio::time::sleep(Duration::from_micros(500)).await;
                        };
                        if i >= warmup {
                            samples.push((claimed - committed) * 1000.0);
                        }
                        // Low load: the job ends (its end would wake the claimer) before
                        // the next insert, which then arrives at a random moment.
                        while client
                            .query_one(&done, &[&id])
                            .await
                            .unwrap()
                            .get::<_, i64>(0)
                            == 0
                        {
                            assert!(Instant::now() < deadline, "request {id} never final");
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        tokio::time::sleep(pause()).await;
                    }
                }
                Db::Sqlite { path } => {
                    #[derive(QueryableByName)]
                    struct Id {
                        #[diesel(sql_type = BigInt)]
                        id: i64,
                    }
                    #[derive(QueryableByName)]
                    struct At {
                        #[diesel(sql_type = Nullable<Text>)]
                        at: Option<String>,
                    }
                    let mut conn =
                        SqliteConnection::establish(&path.display().to_string()).unwrap();
                    diesel::sql_query("PRAGMA busy_timeout = 20000")
                        .execute(&mut conn)
                        .unwrap();
                    let started = "SELECT started_at AS at FROM botapp_genrequest WHERE id = ?";
                    for i in 0..m + warmup {
                        let id = diesel::sql_query(&insert)
                            .get_result::<Id>(&mut conn)
                            .unwrap()
                            .id;
                        let committed = now_epoch();
                        let deadline = Instant::now() + Duration::from_secs(20);
                        let claimed = loop {
                            let at = diesel::sql_query(started)
                                .bind::<BigInt, _>(id)
                                .get_result::<At>(&mut conn)
                                .unwrap()
                                .at;
                            if let Some(at) = at {
                                let parsed = chrono::NaiveDateTime::parse_from_str(
                                    &at,
                                    "%Y-%m-%d %H:%M:%S%.f",
                                )
                                .unwrap_or_else(|e| panic!("started_at {at:?}: {e}"));
                                break parsed.and_utc().timestamp_micros() as f64 / 1e6;
                            }
                            assert!(Instant::now() < deadline, "request {id} never claimed");
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        };
                        if i >= warmup {
                            samples.push((claimed - committed) * 1000.0);
                        }
                        #[derive(QueryableByName)]
                        struct Count {
                            #[diesel(sql_type = BigInt)]
                            n: i64,
                        }
                        let final_sql = FINAL_SQL
                            .replace("$1", "?")
                            .replace("count(*)", "count(*) AS n");
                        while diesel::sql_query(&final_sql)
                            .bind::<BigInt, _>(id)
                            .get_result::<Count>(&mut conn)
                            .unwrap()
                            .n
                            == 0
                        {
                            assert!(Instant::now() < deadline, "request {id} never final");
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        tokio::time::sleep(pause()).await;
                    }
                }
            }
            daemon.assert_alive("daemon");
            daemon.stop();
            samples.sort_by(f64::total_cmp);
            let (p50, p99, max) = (
                percentile(&samples, 50.0),
                percentile(&samples, 99.0),
                samples.last().copied().unwrap_or(f64::NAN),
            );
            let figure = format!("p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms (n={m})");
            if pg {
                let met = p50 <= 3.0 && p99 <= 15.0;
                let result = self.goal(met, format!("pickup latency PostgreSQL: {figure}"));
                self.row(
                    format!("pickup latency, {backend}"),
                    figure,
                    "goal p50 ≤3 ms, p99 ≤15 ms".into(),
                    result,
                );
            } else {
                self.row(
                    format!("pickup latency, {backend}"),
                    figure,
                    "expected ≈ poll/2, ≤ poll".into(),
                    "figure only".into(),
                );
            }
        }
    }

    // ------------------------------------------------------------ throughput

    async fn throughput(&mut self) {
        let n = match (self.quick, self.smoke) {
            (_, true) => 300,
            (true, false) => 2_000,
            (false, false) => 50_000,
        };
        let pool: usize = std::env::var("GENWORKER_DB_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10);
        self.knobs(0).await;
        for pg in [true, false] {
            let backend = if pg { "PostgreSQL" } else { "SQLite" };
            eprintln!("throughput: {backend}, {n} requests");
            let (db, template) = self.database(pg);
            let columns = db.copy_columns();
            db.sql(&db.copies_sql(template, n - 1, &columns));
            db.sql(if pg { "VACUUM ANALYZE" } else { "ANALYZE" });
            let env = [
                ("GENWORKER_CONCURRENCY", "256".to_owned()),
                ("KLING_MAX_CONCURRENT", "256".to_owned()),
                ("KLING_POLL_INTERVAL", "0.001".to_owned()),
            ];
            let (calls0, _) = self.kling_calls().await;
            let xacts0 = pg_xacts(&db);
            let mut daemon = self.daemon(&db, &env);
            let pid = daemon.pid();
            let (t0, cpu0) = (Instant::now(), cpu_seconds(pid));
            let limit = Duration::from_secs(if self.quick { 60 } else { 900 });
            let final_sql =
                "SELECT count(*) FROM botapp_genrequest WHERE status IN ('done', 'error')";
            // Diagnostics: what the daemon's sessions wait on (sampled; printed, not tabled).
            let mut waits: std::collections::BTreeMap<String, u64> = Default::default();
            loop {
                daemon.assert_alive("daemon");
                if db.number(final_sql) >= n as f64 {
                    break;
                }
                if let Db::Pg { name, admin, .. } = &db {
                    let sample = psql(
                        admin,
                        &format!(
                            "SELECT string_agg(w || '=' || c, ' ') FROM (SELECT \
                             coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, count(*) AS c \
                             FROM pg_stat_activity WHERE datname = '{name}' AND state <> 'idle' \
                             AND pid <> pg_backend_pid() GROUP BY 1) s"
                        ),
                    );
                    for pair in sample.split_whitespace() {
                        if let Some((w, c)) = pair.rsplit_once('=') {
                            *waits.entry(w.to_owned()).or_default() +=
                                c.parse::<u64>().unwrap_or(0);
                        }
                    }
                }
                if t0.elapsed() > limit {
                    let left = n as f64 - db.number(final_sql);
                    daemon.stop();
                    panic!(
                        "throughput {backend}: {left} of {n} requests not final after {limit:?}"
                    );
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let (wall, cpu1) = (t0.elapsed().as_secs_f64(), cpu_seconds(pid));
            let rss = status_mib(pid, "VmHWM:");
            daemon.stop();
            let (calls1, _) = self.kling_calls().await;
            // Stats reach pg_stat_database within a second of a backend going idle.
            tokio::time::sleep(Duration::from_millis(if pg { 1500 } else { 0 })).await;
            let xacts_per_request = (pg_xacts(&db) - xacts0) / n as f64;
            let errors = db.number("SELECT count(*) FROM botapp_genrequest WHERE status = 'error'");
            let span = db.number(&format!(
                "SELECT {} - {} FROM botapp_genrequest",
                db.epoch("max(completed_at)"),
                db.epoch("min(started_at)")
            ));
            let rate = n as f64 / span;
            if !waits.is_empty() {
                let mut sorted: Vec<_> = waits.into_iter().collect();
                sorted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
                eprintln!("  daemon sessions' wait events (samples): {sorted:?}");
            }
            let cpu = 100.0 * (cpu1 - cpu0) / wall;
            let figure = format!(
                "{rate:.0} req/s ({n} in {span:.1} s, {errors:.0} errors; daemon CPU {cpu:.0} %, peak RSS {rss:.0} MiB, {:.1} Kling calls/req{})",
                (calls1 - calls0) / n as f64,
                if pg {
                    format!(", {xacts_per_request:.1} DB transactions/req")
                } else {
                    String::new()
                }
            );
            if !pg {
                self.row(
                    format!("throughput, {backend}, concurrency 256"),
                    figure,
                    "—".into(),
                    "figure only".into(),
                );
                continue;
            }
            let floor = pgbench_floor(self, &db, n, pool, 1);
            let ratio = 100.0 * rate / floor;
            let result = self.goal(
                ratio >= 100.0,
                format!("throughput PostgreSQL {rate:.0} req/s = {ratio:.0} % of the pgbench floor {floor:.0}/s"),
            );
            self.row(
                format!("throughput, {backend}, concurrency 256, pool {pool}"),
                figure,
                format!("pgbench floor {floor:.0} tx/s ({pool} clients, 1 row/tx); ratio {ratio:.0} % (goal ≥100 %)"),
                result,
            );
        }
    }

    // ------------------------------------------------------------ capacity

    async fn capacity(&mut self, baseline_rss: f64) {
        let (default_sizes, task_ms): (&[usize], u64) = if self.smoke {
            (&[100], 2_000)
        } else if self.quick {
            (&[200], 5_000)
        } else {
            (&[1_000, 5_000, 10_000], 60_000)
        };
        // `--capacity 1000,8000` overrides the job counts.
        let sizes: Vec<usize> = self
            .capacity_sizes
            .clone()
            .unwrap_or_else(|| default_sizes.to_vec());
        self.knobs(task_ms).await;
        for n in sizes {
            eprintln!("capacity: {n} jobs of {} s", task_ms / 1000);
            let (db, template) = self.database(true);
            let columns = db.copy_columns();
            db.sql(&db.copies_sql(template, n - 1, &columns));
            db.sql("VACUUM ANALYZE");
            let env = [
                ("GENWORKER_CONCURRENCY", n.to_string()),
                ("KLING_MAX_CONCURRENT", n.to_string()),
                ("KLING_POLL_INTERVAL", "5".to_owned()),
            ];
            let (calls0, _) = self.kling_calls().await;
            let mut daemon = self.daemon(&db, &env);
            let pid = daemon.pid();
            let (t0, cpu0) = (Instant::now(), cpu_seconds(pid));
            let limit = Duration::from_secs_f64(task_ms as f64 / 1000.0 * 3.0 + 120.0);
            let mut peak_in_flight = 0.0_f64;
            let mut all_claimed_at = None;
            let mut timed_out = false;
            loop {
                daemon.assert_alive("daemon");
                let counts = db.sql(
                    "SELECT count(*) FILTER (WHERE status = 'processing') || ' ' || \
                     count(*) FILTER (WHERE status IN ('done', 'error')) || ' ' || \
                     count(*) FILTER (WHERE started_at IS NOT NULL) FROM botapp_genrequest",
                );
                let v: Vec<f64> = counts.split(' ').map(|x| x.parse().unwrap()).collect();
                peak_in_flight = peak_in_flight.max(v[0]);
                if all_claimed_at.is_none() && v[2] >= n as f64 {
                    all_claimed_at = Some(t0.elapsed().as_secs_f64());
                }
                if v[1] >= n as f64 {
                    break;
                }
                if t0.elapsed() > limit {
                    let log = std::fs::read_to_string(&daemon.log).unwrap_or_default();
                    let last_warning = log
                        .lines()
                        .rev()
                        .find(|l| l.contains("WARN") || l.contains("ERROR"))
                        .unwrap_or("")
                        .to_owned();

                    let figure = format!(
                        "only {} of {n} final after {:.0} s (peak {peak_in_flight:.0} in flight); daemon's last warning: {last_warning}",
                        v[1],
                        limit.as_secs_f64()
                    );
                    let result = self.goal(false, format!("capacity {n}: {figure}"));
                    self.row(
                        format!(
                            "capacity, {n} Kling jobs × {} s, PostgreSQL",
                            task_ms / 1000
                        ),
                        figure,
                        "goal: all done".into(),
                        result,
                    );
                    timed_out = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            if timed_out {
                daemon.stop();
                continue;
            }
            let (wall, cpu1) = (t0.elapsed().as_secs_f64(), cpu_seconds(pid));
            let peak_rss = status_mib(pid, "VmHWM:");
            daemon.stop();
            let (calls1, _) = self.kling_calls().await;
            let done = db.number("SELECT count(*) FROM botapp_genrequest WHERE status = 'done'");
            let cpu = 100.0 * (cpu1 - cpu0) / wall;
            let kling_rate = (calls1 - calls0) / wall;
            let figure = format!(
                "{done:.0}/{n} done in {wall:.0} s (all claimed after {:.1} s, peak {peak_in_flight:.0} in flight); \
                 peak RSS {peak_rss:.1} MiB; CPU {cpu:.1} %; {kling_rate:.0} Kling req/s",
                all_claimed_at.unwrap_or(f64::NAN)
            );
            let mut met = done >= n as f64;
            let goal = if n >= 10_000 {
                met &= peak_rss <= 256.0;
                "goal: all done, peak RSS ≤256 MiB"
            } else {
                "goal: all done"
            };
            let result = self.goal(met, format!("capacity {n}: {figure}"));
            self.row(
                format!(
                    "capacity, {n} Kling jobs × {} s, PostgreSQL",
                    task_ms / 1000
                ),
                figure,
                format!("{goal}; idle daemon RSS {baseline_rss:.1} MiB"),
                result,
            );
        }
    }
}

fn print_table(rows: &[[String; 4]]) {
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

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(engine::CHILD_ARG) {
        return engine::child().await;
    }
    let smoke = args.iter().any(|a| a == "--smoke");
    let quick = smoke || args.iter().any(|a| a == "--quick");
    let only: Vec<String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_else(|| {
            [
                "idle",
                "latency",
                "throughput",
                "capacity",
                "recovery",
                "callbacks",
                "engine",
            ]
            .map(str::to_owned)
            .to_vec()
        });
    let admin_url = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let dir = tempfile::tempdir().unwrap();

    let port = free_port();
    let _simulator = Proc {
        child: Some(
            Command::new(BIN)
                .args(["simulate", "--port", &port.to_string()])
                .current_dir(dir.path())
                .env("KLING_API_KEY", KEY)
                .env("KLING_API_SECRET", SECRET)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start genworker simulate"),
        ),
        log: PathBuf::new(),
    };
    let sim_base = format!("http://127.0.0.1:{port}");
    let http = genworker::net::client_builder().build().unwrap();
    let started = Instant::now();
    while http
        .get(format!("{sim_base}/_sim/stats"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "simulator did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut bench = Bench {
        quick,
        smoke,
        dir,
        admin_url,
        sim_base,
        http,
        counter: std::cell::Cell::new(0),
        rows: Vec::new(),
        goals_missed: Vec::new(),
        capacity_sizes: args
            .iter()
            .position(|a| a == "--capacity")
            .and_then(|i| args.get(i + 1))
            .map(|list| {
                list.split(',')
                    .map(|n| n.parse().expect("--capacity N,N"))
                    .collect()
            }),
    };
    let total = Instant::now();
    let mut baseline_rss = f64::NAN;
    if only.iter().any(|s| s == "idle") {
        baseline_rss = bench.idle().await;
    }
    if only.iter().any(|s| s == "latency") {
        bench.latency().await;
    }
    if only.iter().any(|s| s == "throughput") {
        bench.throughput().await;
    }
    if only.iter().any(|s| s == "capacity") {
        bench.capacity(baseline_rss).await;
    }
    if only.iter().any(|s| s == "recovery") {
        bench.recovery().await;
    }
    if only.iter().any(|s| s == "callbacks") {
        bench.callbacks().await;
    }
    if only.iter().any(|s| s == "engine") {
        bench.engine().await;
    }
    println!();
    println!(
        "genworker queue benchmark ({}), {} cores, {:.1} GiB, {:.0} s",
        match (quick, smoke) {
            (_, true) => "smoke: debug build, figures not comparable to the goals",
            (true, false) => "quick",
            (false, false) => "full",
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        mem_total_gib(),
        total.elapsed().as_secs_f64()
    );
    print_table(&bench.rows);
    if bench.goals_missed.is_empty() {
        println!("all goals met");
    } else {
        println!("goals missed: {}", bench.goals_missed.len());
    }
}

fn mem_total_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0)
}
