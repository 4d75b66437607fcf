//! Pickup latency (issue 5): from a request's insert committed to its
//! `started_at`, one request at a time at low load, on PostgreSQL (woken by
//! NOTIFY, the poll at 3600 s) and on SQLite (polling every 0.5 s, the default).

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::Db;
use crate::harness::Bench;
use crate::procs::now_epoch;

/// Whether request `$1` is final (done or error).
const FINAL_SQL: &str =
    "SELECT count(*) FROM botapp_genrequest WHERE id = $1 AND status IN ('done', 'error')";

/// The `p`th percentile of `sorted` (nearest rank); NaN when empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Bench {
    pub(super) async fn latency(&mut self) {
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
}
