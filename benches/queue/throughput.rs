//! Throughput (issue 5): thousands of queued requests whose Kling tasks end at
//! once, concurrency 256, on PostgreSQL beside the pgbench floor (same server,
//! the daemon's pool size in clients, one row per transaction) and on SQLite;
//! with the daemon's CPU, peak RSS, Kling calls and transactions per request.

use std::time::{Duration, Instant};

use crate::db::{Db, pg_xacts, psql};
use crate::floor::pgbench_floor;
use crate::harness::Bench;
use crate::procs::{cpu_seconds, status_mib};

impl Bench {
    pub(super) async fn throughput(&mut self) {
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
}
