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

use std::time::Instant;

#[path = "common/mod.rs"]
mod common;

#[path = "queue/callbacks.rs"]
mod callbacks;
#[path = "queue/capacity.rs"]
mod capacity;
#[path = "queue/db.rs"]
mod db;
#[path = "queue/engine.rs"]
mod engine;
#[path = "queue/floor.rs"]
mod floor;
#[path = "queue/harness.rs"]
mod harness;
#[path = "queue/idle.rs"]
mod idle;
#[path = "queue/latency.rs"]
mod latency;
#[path = "queue/procs.rs"]
mod procs;
#[path = "queue/recovery.rs"]
mod recovery;
#[path = "queue/throughput.rs"]
mod throughput;

use common::start_simulator;
use harness::{Bench, KEY, SECRET, print_table};
use procs::mem_total_gib;

// What callbacks, engine, floor and recovery import from the crate root (`super::…`).
use common::free_port;
use db::Db;
use floor::pgbench_floor;
use procs::now_epoch;

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

    let http = genworker::net::client_builder().build().unwrap();
    let (_simulator, sim_base) = start_simulator(
        &http,
        Some(dir.path()),
        &[("KLING_API_KEY", KEY), ("KLING_API_SECRET", SECRET)],
    )
    .await;

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
