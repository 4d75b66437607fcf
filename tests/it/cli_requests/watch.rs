//! `genworker requests watch`: once when piped; with `--follow`, refreshed until
//! Ctrl-C (SIGINT), after which it exits cleanly, or until its reader goes away;
//! each section's header counts all its requests, the rows stop at `--limit`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::enqueue_id;
use super::setup::{Lease, put_lease, set_request};
use crate::support::{TestDb, failure, on_every_schema, success};

on_every_schema!(
    watch_prints_in_flight_and_finished_requests_once_when_piped,
    watch_follow_refreshes_until_ctrl_c_and_exits_cleanly,
    watch_counts_every_request_in_flight_and_lists_at_most_the_limit,
    watch_follow_ends_quietly_when_its_reader_goes_away,
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
    let (in_flight, queued, recent) = sections(&frame);
    assert!(in_flight.starts_with("In flight (1):"), "{in_flight}");
    assert!(queued.starts_with("Queued (1):"), "{queued}");
    assert!(recent.starts_with("Recently finished (1):"), "{recent}");
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
    assert!(row_of(queued, waiting).contains("queued"));
    assert!(!in_flight.contains("queued"), "{in_flight}");
    let dead = row_of(recent, finished);
    assert!(
        dead.contains("error") && dead.contains("task-dead-9"),
        "{dead:?}"
    );
    assert!(!in_flight.contains("task-dead-9"));
}

/// The in-flight, queued and finished sections of one frame, each from its header.
fn sections(frame: &str) -> (&str, &str, &str) {
    let at = |title: &str| {
        frame
            .find(&format!("\n{title} ("))
            .map(|at| at + 1)
            .unwrap_or_else(|| panic!("no {title} section: {frame}"))
    };
    let (flight, queued, finished) = (at("In flight"), at("Queued"), at("Recently finished"));
    assert!(flight < queued && queued < finished, "{frame}");
    (
        &frame[flight..queued],
        &frame[queued..finished],
        &frame[finished..],
    )
}

/// Data rows of a section (the lines after its header and the table heading).
fn rows(section: &str) -> Vec<&str> {
    section
        .lines()
        .skip(2)
        .filter(|line| !line.trim().is_empty())
        .collect()
}

async fn watch_counts_every_request_in_flight_and_lists_at_most_the_limit(db: TestDb) {
    let pool = db.migrated().await;
    for n in 0..4 {
        let id = enqueue_id(&db, &["--prompt", &format!("running {n}")]);
        set_request(&pool, id, "processing", &format!("task-{n}")).await;
        put_lease(&pool, id, Lease::live("w1", 1)).await;
    }
    for n in 0..2 {
        enqueue_id(&db, &["--prompt", &format!("waiting {n}")]);
    }
    let frame = success(&db.cli(&["requests", "watch", "--limit", "3"]));
    let (in_flight, queued, recent) = sections(&frame);
    assert!(
        in_flight.starts_with("In flight (4, showing 3):"),
        "{in_flight}"
    );
    let shown = rows(in_flight);
    assert_eq!(shown.len(), 3, "{in_flight}");
    assert!(
        shown.iter().all(|row| row.contains("processing")),
        "{in_flight}"
    );
    assert!(queued.starts_with("Queued (2):"), "{queued}");
    assert_eq!(rows(queued).len(), 2, "{queued}");
    assert!(recent.starts_with("Recently finished (0):"), "{recent}");

    let frame = success(&db.cli(&["requests", "watch", "--limit", "4"]));
    let (in_flight, _, _) = sections(&frame);
    assert!(in_flight.starts_with("In flight (4):"), "{in_flight}");
    assert_eq!(rows(in_flight).len(), 4, "{in_flight}");
}

async fn watch_follow_ends_quietly_when_its_reader_goes_away(db: TestDb) {
    let _pool = db.migrated().await;
    enqueue_id(&db, &["--prompt", "watched"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_genworker"))
        .args(["requests", "watch", "--follow", "--every", "0.1"])
        .env("DATABASE_URL", db.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -3`: read a few lines, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0_u8; 64];
    let read = stdout.read(&mut first).unwrap();
    assert!(read > 0, "watch printed nothing");
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "watch kept running without a reader"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut errors = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut errors)
        .unwrap();
    assert!(status.success(), "exit {status}: {errors}");
    assert!(
        !errors.contains("error:")
            && !errors.contains("panicked")
            && !errors.contains("Broken pipe"),
        "not quiet: {errors}"
    );
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
    let frames = out.matches("Queued (1):").count();
    assert!(
        frames >= 3,
        "refreshed every 0.2 s for 1.5 s, got {frames} frames: {out}"
    );
}

#[test]
fn watch_refuses_a_bad_interval_with_one_clear_message() {
    let db = TestDb::sqlite();
    for every in ["0", "-1", "0.0", "nan", "inf", "86401", "soon"] {
        let output = db.cli(&["requests", "watch", "--every", every]);
        let message = failure(&output);
        // Refused while reading the arguments (clap's usage error), before any database.
        assert_eq!(output.status.code(), Some(2), "{every}: {message}");
        assert!(
            message.contains(&format!(
                "`{every}` is not a refresh interval: give the seconds between refreshes, \
                 more than 0 and at most 86400"
            )),
            "{every}: {message}"
        );
        assert_eq!(message.matches("error:").count(), 1, "{every}: {message}");
    }
    for limit in ["0", "-3", "many"] {
        let message = failure(&db.cli(&["requests", "watch", "--limit", limit]));
        assert!(
            message.contains(&format!("`{limit}` is not a number of rows")),
            "{limit}: {message}"
        );
    }
}
