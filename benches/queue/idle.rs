//! Idle cost (issue 5): a daemon with nothing to claim, on PostgreSQL and on
//! SQLite: its CPU %, its transactions per minute on PostgreSQL, and its RSS
//! (PostgreSQL's is the capacity section's baseline).

use std::time::{Duration, Instant};

use crate::db::pg_xacts;
use crate::harness::Bench;
use crate::procs::{cpu_seconds, status_mib};

impl Bench {
    pub(super) async fn idle(&mut self) -> f64 {
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
}
