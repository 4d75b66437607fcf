//! pgbench's claim→done floor: the least work a queue on PostgreSQL must do per
//! request (claim with `FOR UPDATE SKIP LOCKED`, mark processing, mark done), on
//! the same server and a copy of the same rows, `rows` requests per transaction.

use std::process::Command;

use super::{Bench, Db};

/// pgbench on a copy of `db`'s requests, all queued again: `pool` clients, `n`
/// requests in all, `rows` per transaction; answers requests per second.
pub(super) fn pgbench_floor(bench: &Bench, db: &Db, n: usize, pool: usize, rows: usize) -> f64 {
    eprintln!("pgbench floor: {pool} clients, {n} rows, {rows} per transaction");
    let table = format!("bench_queue_{rows}");
    db.sql(&format!("DROP TABLE IF EXISTS {table}"));
    db.sql(&format!(
        "CREATE TABLE {table} (LIKE botapp_genrequest INCLUDING ALL)"
    ));
    db.sql(&format!(
        "INSERT INTO {table} SELECT * FROM botapp_genrequest"
    ));
    db.sql(&format!(
        "UPDATE {table} SET status = 'queued', started_at = NULL, completed_at = NULL, \
         processing_time = NULL"
    ));
    db.sql(&format!("VACUUM ANALYZE {table}"));
    let script = bench.dir.path().join(format!("claim_complete_{rows}.sql"));
    let sql = if rows == 1 {
        format!(
            "BEGIN;\n\
             SELECT id FROM {table} WHERE status = 'queued' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED \\gset\n\
             UPDATE {table} SET status = 'processing', started_at = now() WHERE id = :id;\n\
             UPDATE {table} SET status = 'done', completed_at = now(), processing_time = 0 WHERE id = :id;\n\
             END;\n"
        )
    } else {
        format!(
            "BEGIN;\n\
             WITH c AS (SELECT id FROM {table} WHERE status = 'queued' ORDER BY created_at, id LIMIT {rows} FOR UPDATE SKIP LOCKED), \
             u AS (UPDATE {table} q SET status = 'processing', started_at = now() FROM c WHERE q.id = c.id RETURNING q.id) \
             SELECT coalesce(string_agg(id::text, ','), '0') AS ids FROM u \\gset\n\
             UPDATE {table} SET status = 'done', completed_at = now(), processing_time = 0 WHERE id IN (:ids);\n\
             END;\n"
        )
    };
    std::fs::write(&script, sql).unwrap();
    let Db::Pg { url, .. } = db else {
        panic!("the pgbench floor needs PostgreSQL")
    };
    let per_client = n.div_ceil(pool * rows);
    let output = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &pool.to_string(),
            "-j",
            "2",
            "-t",
            &per_client.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .expect("run pgbench");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pgbench failed: {text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps = ") && l.contains("without initial connection"))
        .or_else(|| text.lines().find(|l| l.starts_with("tps = ")))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("pgbench tps");
    let left = db.number(&format!(
        "SELECT count(*) FROM {table} WHERE status <> 'done'"
    ));
    assert_eq!(left, 0.0, "pgbench left rows undone");
    tps * rows as f64
}
