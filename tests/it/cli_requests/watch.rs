//! `genworker requests watch`: once when piped; with `--follow`, refreshed until
//! Ctrl-C (SIGINT), after which it exits cleanly.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::enqueue_id;
use super::setup::{Lease, put_lease, set_request};
use crate::support::{TestDb, failure, on_every_schema, success};

on_every_schema!(
    watch_prints_in_flight_and_finished_requests_once_when_piped,
    watch_follow_refreshes_until_ctrl_c_and_exits_cleanly,
);

async fn watch_prints_in_flight_and_finished_requests_once_when_piped(db: TestDb) {
    let pool = db.migrated().await;
    let running = enqueue_id(&db, &["--prompt", "running"]);
    let waiting = enqueue_id(&db, &["--prompt", "waiting"]);
    let finished = enqueue_id(&db, &["--prompt", "finished"]);
    set_request(&pool, running, "processing", "task-live-7").await;
    put_lease(&pool, running, Lease::live("w1", 3)).await;
    set_request(&pool, finished, "error", "task-dead-9").await;

    let started = Instant::now();
    let frame = success(&db.cli(&["requests", "watch"]));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "returns by itself"
    );
    assert!(
        !frame.contains('\x1b'),
        "no terminal codes when piped: {frame:?}"
    );
    let split = frame
        .find("Recently finished (1):")
        .unwrap_or_else(|| panic!("no finished section: {frame}"));
    let (in_flight, recent) = frame.split_at(split);
    assert!(in_flight.contains("In flight (2):"), "{in_flight}");
    let row_of = |text: &str, id: i64| {
        text.lines()
            .find(|line| line.trim_start().starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("request {id} missing in {text}"))
            .to_owned()
    };
    let live = row_of(in_flight, running);
    for cell in ["processing", "task-live-7", " 3 "] {
        assert!(live.contains(cell), "{cell} missing in {live:?}");
    }
    assert!(row_of(in_flight, waiting).contains("queued"));
    let dead = row_of(recent, finished);
    assert!(
        dead.contains("error") && dead.contains("task-dead-9"),
        "{dead:?}"
    );
    assert!(!in_flight.contains("task-dead-9"));
}

async fn watch_follow_refreshes_until_ctrl_c_and_exits_cleanly(db: TestDb) {
    let _pool = db.migrated().await;
    enqueue_id(&db, &["--prompt", "watched"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_genworker"))
        .args(["requests", "watch", "--follow", "--every", "0.2"])
        .env("DATABASE_URL", db.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "still refreshing");
    // Ctrl-C.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "watch did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "exit {status}: {out}");
    let frames = out.matches("In flight (1):").count();
    assert!(
        frames >= 3,
        "refreshed every 0.2 s for 1.5 s, got {frames} frames: {out}"
    );
}

#[test]
fn watch_refuses_a_bad_interval() {
    let db = TestDb::sqlite();
    let message = failure(&db.cli(&["requests", "watch", "--every", "0"]));
    assert!(message.contains("not a number of seconds"), "{message}");
}
