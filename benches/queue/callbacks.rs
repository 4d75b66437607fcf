//! Provider calls per video and the delay from a task's end to its request
//! being done (issue 16), 1,000 official-style Kling tasks of 12 s (not a
//! multiple of the poll interval) on PostgreSQL, in the same run: polling only (`KLING_POLL_INTERVAL` 5 s, the
//! default) and with callbacks (`GENWORKER_CALLBACK_URL` to the daemon's own
//! endpoint, the fallback poll 60 s). A task's end is its create time in the
//! simulator's answer (`provider_metadata.final_response.data.created_at`) plus
//! the task time; the request is done at `completed_at` (Telegram is off: the
//! user's message follows the same write).

use std::time::{Duration, Instant};

use super::{Bench, free_port};

/// How long each simulated task takes from its create.
const TASK_MS: u64 = 12_000;

impl Bench {
    pub(super) async fn callbacks(&mut self) {
        let jobs = match (self.smoke, self.quick) {
            (true, _) => 20,
            (false, true) => 200,
            (false, false) => 1_000,
        };
        // The smoke only proves the section runs.
        let task_ms = if self.smoke { 2_000 } else { TASK_MS };
        self.knobs(task_ms).await;
        for callbacks in [false, true] {
            let how = if callbacks {
                "callbacks"
            } else {
                "polling every 5 s"
            };
            eprintln!("callbacks: {how}, {jobs} official-style tasks of 12 s");
            let (calls, p50, p99, max) = self.one_callback_run(jobs, callbacks, task_ms).await;
            let figure = format!(
                "{calls:.2} Kling calls per video; done after the task's end: p50 {p50:.0} ms, \
                 p99 {p99:.0} ms, max {max:.0} ms"
            );
            let result = if callbacks {
                let met = calls <= 3.0 && p99 <= 1_000.0;
                self.goal(
                    met,
                    format!("callbacks: {calls:.2} calls/video, p99 {p99:.0} ms"),
                )
            } else {
                "figure only".into()
            };
            self.row(
                format!("provider calls and delay, {how}, {jobs} jobs, PostgreSQL"),
                figure,
                "goal (callbacks): ≤3 calls per video, p99 ≤1 s after the task's end".to_owned(),
                result,
            );
        }
    }

    /// One run: Kling calls per finished video and the delay percentiles (ms).
    async fn one_callback_run(
        &self,
        jobs: usize,
        callbacks: bool,
        task_ms: u64,
    ) -> (f64, f64, f64, f64) {
        let (db, template) = self.database(true);
        db.sql("UPDATE botapp_genrequest SET status = 'cancelled'");
        let addr = format!("127.0.0.1:{}", free_port());
        let mut env = vec![
            ("KLING_API_STYLE", "official".to_owned()),
            ("KLING_API_SECRET", super::SECRET.to_owned()),
            ("KLING_MAX_CONCURRENT", jobs.to_string()),
            ("GENWORKER_CONCURRENCY", jobs.to_string()),
            ("GENWORKER_HTTP_ADDR", addr.clone()),
        ];
        if callbacks {
            env.push(("GENWORKER_CALLBACK_URL", format!("http://{addr}")));
            env.push((
                "GENWORKER_CALLBACK_SECRET",
                "bench-callback-secret".to_owned(),
            ));
        }
        let mut daemon = self.daemon(&db, &env);
        let (before, _) = self.kling_calls().await;
        db.sql(&db.copies_sql(template, jobs, &db.copy_columns()));
        let finished = "SELECT count(*) FROM botapp_genrequest \
                        WHERE status IN ('done', 'error') AND provider_job_id <> ''";
        let deadline = Instant::now() + Duration::from_secs(300);
        while db.number(finished) < jobs as f64 {
            daemon.assert_alive("daemon");
            assert!(Instant::now() < deadline, "the requests never all finished");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (after, _) = self.kling_calls().await;
        daemon.stop();
        let done = db.number(
            "SELECT count(*) FROM botapp_genrequest WHERE status = 'done' AND provider_job_id <> ''",
        );
        assert_eq!(done, jobs as f64, "every request done");
        let delays = format!(
            "WITH d AS (SELECT extract(epoch FROM completed_at) * 1000 \
               - (provider_metadata->'final_response'->'data'->>'created_at')::float8 \
               - {task_ms} AS ms FROM botapp_genrequest WHERE provider_job_id <> '') \
             SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) || ' ' || \
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) || ' ' || max(ms) FROM d"
        );
        let figures: Vec<f64> = db
            .sql(&delays)
            .split_whitespace()
            .map(|text| text.parse().unwrap_or(f64::NAN))
            .collect();
        let figure = |i: usize| figures.get(i).copied().unwrap_or(f64::NAN);
        ((after - before) / done, figure(0), figure(1), figure(2))
    }
}
