//! Capacity (issue 5): 1,000 / 5,000 / 10,000 Kling jobs of 60 s in flight in
//! one daemon on PostgreSQL (`--capacity N,N` sets the counts): all done, peak
//! RSS, CPU % and Kling requests per second.

use std::time::{Duration, Instant};

use crate::harness::Bench;
use crate::procs::{cpu_seconds, status_mib};

impl Bench {
    pub(super) async fn capacity(&mut self, baseline_rss: f64) {
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
