//! Crash recovery (issue 16): N Kling jobs in flight, their task ids saved, the
//! daemon killed with SIGKILL and a new one started at once; the seconds until
//! every request is done, beside the task's own time, with the worker registry's
//! takeover and with the lease alone (`GENWORKER_TAKEOVER=false`) in the same run.

use std::time::{Duration, Instant};

use super::Bench;

/// How long each simulated task takes from its create.
const TASK_MS: u64 = 3_000;

impl Bench {
    pub(super) async fn recovery(&mut self) {
        let (jobs, lease) = match (self.smoke, self.quick) {
            (true, _) => (4, 5),
            (false, true) => (20, 10),
            (false, false) => (40, 60),
        };
        self.knobs(TASK_MS).await;
        let backends: &[bool] = if self.smoke { &[true] } else { &[true, false] };
        for &pg in backends {
            let backend = if pg { "PostgreSQL" } else { "SQLite" };
            for takeover in [true, false] {
                let how = if takeover {
                    "takeover".to_owned()
                } else {
                    format!("lease only, {lease} s")
                };
                eprintln!("crash recovery: {backend}, {how}, {jobs} jobs");
                let (remaining, took) = self.one_crash(pg, jobs, lease, takeover).await;
                let figure = format!(
                    "all done {took:.1} s after SIGKILL; tasks had {remaining:.1} s to run"
                );
                let result = if takeover {
                    let met = took <= remaining + 2.0;
                    self.goal(
                        met,
                        format!("crash recovery {backend}: {took:.1} s > {remaining:.1} s + 2 s"),
                    )
                } else {
                    "figure only".into()
                };
                self.row(
                    format!("crash recovery, {backend}, {how}, {jobs} jobs"),
                    figure,
                    "goal (takeover): ≤ the tasks' remaining time + 2 s".to_owned(),
                    result,
                );
            }
        }
    }

    /// One round: the seconds the tasks still had to run when the daemon was
    /// killed, and the seconds from the kill until every request was final.
    async fn one_crash(&self, pg: bool, jobs: usize, lease: u64, takeover: bool) -> (f64, f64) {
        let (db, template) = self.database(pg);
        db.sql("UPDATE botapp_genrequest SET status = 'cancelled'");
        db.sql(&db.copies_sql(template, jobs, &db.copy_columns()));
        let env = [
            ("GENWORKER_TAKEOVER", takeover.to_string()),
            ("GENWORKER_LEASE_SECONDS", lease.to_string()),
            ("KLING_POLL_INTERVAL", "0.2".to_owned()),
            ("KLING_MAX_CONCURRENT", jobs.to_string()),
        ];
        let mut first = self.daemon(&db, &env);
        let saved = "SELECT count(*) FROM botapp_genrequest WHERE status = 'processing' \
                     AND provider_job_id <> ''";
        let deadline = Instant::now() + Duration::from_secs(60);
        while db.number(saved) < jobs as f64 {
            first.assert_alive("daemon");
            assert!(
                Instant::now() < deadline,
                "the tasks were never all created"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let oldest = db.number(&format!(
            "SELECT min({}) FROM botapp_genrequest WHERE provider_job_id <> ''",
            db.epoch("started_at")
        ));
        drop(first);
        let killed = Instant::now();
        let remaining = (oldest + TASK_MS as f64 / 1000.0 - super::now_epoch()).max(0.0);
        let mut second = self.daemon(&db, &env);
        let finished = "SELECT count(*) FROM botapp_genrequest \
                        WHERE provider_job_id <> '' AND status IN ('done', 'error')";
        let deadline = Instant::now() + Duration::from_secs(lease + 60);
        while db.number(finished) < jobs as f64 {
            second.assert_alive("daemon");
            assert!(Instant::now() < deadline, "the requests never all finished");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let took = killed.elapsed().as_secs_f64();
        let done = db.number(
            "SELECT count(*) FROM botapp_genrequest WHERE provider_job_id <> '' AND status = 'done'",
        );
        assert_eq!(done, jobs as f64, "every request done");
        second.stop();
        (remaining, took)
    }
}
