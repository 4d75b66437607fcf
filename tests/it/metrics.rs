//! `/metrics` on `GENWORKER_HTTP_ADDR`, scraped from the real binary after it
//! processed requests end to end: successes, a retry, a refunded failure, and a
//! queue held back by `KLING_MAX_CONCURRENT=1`.

use std::time::{Duration, Instant};

use genworker::queue::{QueueDepth, queue_depth};
use genworker::simulator::{Endpoint, Fault, Knobs, Outcome};
use serde_json::json;

use crate::daemon::Harness;
use crate::support::{TestDb, free_addr, on_both_backends};

on_both_backends!(queue_depth_counts_the_queued_requests_of_active_models,);

const VIDEO_BYTES: u64 = 40_000;

async fn scrape(addr: &str) -> String {
    let client = genworker::net::client_builder().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.get(format!("http://{addr}/metrics")).send().await {
            Ok(response) => {
                assert_eq!(response.status(), 200);
                let kind = response.headers()["content-type"].to_str().unwrap();
                assert!(kind.starts_with("text/plain"), "{kind}");
                return response.text().await.unwrap();
            }
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "/metrics never answered: {error}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Scrapes until `ready` holds (within 20 s).
async fn scrape_until(addr: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape(addr).await;
        if ready(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "never ready:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of the sample `name` whose labels include every `labels` pair.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, label_block) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let matches = metric == name
                && labels
                    .iter()
                    .all(|(key, value)| label_block.contains(&format!("{key}=\"{value}\"")));
            matches.then(|| value.parse().unwrap())
        })
}

fn kling(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut labels = vec![("provider", "kling")];
    labels.extend_from_slice(extra);
    labels
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_a_run_did_and_read_the_queue_at_scrape_time() {
    let h = Harness::new(TestDb::sqlite(), &[]).await;
    h.sim.set_knobs(Knobs {
        video_bytes: VIDEO_BYTES,
        finish_after_ms: 50,
        ..Knobs::default()
    });
    h.sim
        .inject(Endpoint::KlingCreate, vec![Fault::ServerError]);
    let first = h.enqueue("first", "text2video", json!({}), Some(31)).await;
    let second = h.enqueue("second", "text2video", json!({}), Some(32)).await;
    let addr = free_addr();
    let _daemon = h.spawn_binary(&[
        ("GENWORKER_HTTP_ADDR", &addr),
        ("KLING_MAX_CONCURRENT", "1"),
    ]);
    h.wait_final(&[first.id, second.id], Duration::from_secs(30))
        .await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "NSFW content".into(),
        },
        finish_after_ms: 50,
        ..Knobs::default()
    });
    let rejected = h
        .enqueue("rejected", "text2video", json!({}), Some(33))
        .await;
    h.wait_final(&[rejected.id], Duration::from_secs(30)).await;
    assert_eq!(h.request(first.id).await.status, "done");
    assert_eq!(h.request(second.id).await.status, "done");
    assert_eq!(h.request(rejected.id).await.status, "error");

    // The counters move when a job returns, just after its row is final and its
    // message sent: wait for the slot to be free.
    let text = scrape_until(&addr, |text| {
        sample(text, "genworker_requests_in_flight", &kling(&[])) == Some(0.0)
    })
    .await;
    let count = |name: &str, extra: &[(&'static str, &'static str)]| {
        sample(&text, name, &kling(extra)).unwrap_or_else(|| panic!("no {name} {extra:?}:\n{text}"))
    };
    assert_eq!(
        count("genworker_claims_total", &[]),
        4.0,
        "3 requests, one claimed again"
    );
    assert_eq!(count("genworker_completions_total", &[]), 2.0);
    assert_eq!(
        count("genworker_retries_total", &[("reason", "error")]),
        1.0
    );
    assert_eq!(
        count("genworker_failures_total", &[("reason", "task_failed")]),
        1.0,
        "the provider ran the task and reported it failed"
    );
    assert_eq!(
        count("genworker_failures_total", &[("reason", "provider")]),
        0.0
    );
    assert_eq!(count("genworker_refunds_total", &[]), 1.0);
    assert_eq!(
        sample(&text, "genworker_downloaded_bytes_total", &[]),
        Some((2 * VIDEO_BYTES) as f64)
    );
    let creates = |outcome| {
        count(
            "genworker_provider_call_duration_seconds_count",
            &[("call", "create"), ("outcome", outcome)],
        )
    };
    assert_eq!((creates("ok"), creates("error")), (3.0, 1.0));
    assert!(
        count(
            "genworker_provider_call_duration_seconds_bucket",
            &[("call", "status"), ("outcome", "ok"), ("le", "+Inf")]
        ) >= 3.0
    );
    assert_eq!(count("genworker_queue_depth", &[("paused", "false")]), 0.0);
    assert_eq!(count("genworker_requests_in_flight", &[]), 0.0);

    // One slot: the first of three slow requests runs, two wait in the queue.
    h.sim.set_knobs(Knobs {
        finish_after_ms: 60_000,
        ..Knobs::default()
    });
    for prompt in ["slow 1", "slow 2", "slow 3"] {
        h.enqueue(prompt, "text2video", json!({}), None).await;
    }
    let text = scrape_until(&addr, |text| {
        sample(text, "genworker_requests_in_flight", &kling(&[])) == Some(1.0)
            && sample(
                text,
                "genworker_queue_depth",
                &kling(&[("paused", "false")]),
            ) == Some(2.0)
    })
    .await;
    assert_eq!(
        sample(
            &text,
            "genworker_queue_depth",
            &kling(&[("paused", "true")])
        ),
        Some(0.0)
    );
    let age = sample(&text, "genworker_oldest_queued_age_seconds", &kling(&[])).unwrap();
    assert!((0.0..60.0).contains(&age), "{age}");
}

/// Right after start-up, before any request: every series there, at 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_series_exists_at_zero_from_start_up() {
    let h = Harness::new(TestDb::sqlite(), &[]).await;
    let paused = h.enqueue("paused", "text2video", json!({}), None).await;
    h.sql("UPDATE botapp_aimodel SET is_active = false WHERE slug = 'kling-v1'");
    let addr = free_addr();
    let _daemon = h.spawn_binary(&[("GENWORKER_HTTP_ADDR", &addr)]);
    let text = scrape(&addr).await;
    let zero = |name: &str, extra: &[(&'static str, &'static str)]| {
        assert_eq!(
            sample(&text, name, &kling(extra)),
            Some(0.0),
            "{name} {extra:?}:\n{text}"
        );
    };
    for name in [
        "genworker_claims_total",
        "genworker_completions_total",
        "genworker_refunds_total",
        "genworker_cancellations_total",
        "genworker_requests_in_flight",
        "genworker_circuit_open",
        "genworker_oldest_queued_age_seconds",
    ] {
        zero(name, &[]);
    }
    for reason in [
        "invalid_request",
        "invalid_charge",
        "provider",
        "task_failed",
        "retries_exhausted",
    ] {
        zero("genworker_failures_total", &[("reason", reason)]);
    }
    for reason in ["rate_limited", "error", "paused"] {
        zero("genworker_retries_total", &[("reason", reason)]);
    }
    zero("genworker_queue_depth", &[("paused", "false")]);
    assert_eq!(
        sample(
            &text,
            "genworker_queue_depth",
            &kling(&[("paused", "true")])
        ),
        Some(1.0),
        "the paused model's request:\n{text}"
    );
    assert_eq!(
        sample(&text, "genworker_provider_up", &kling(&[])),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "genworker_log_lines_dropped_total", &[]),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "genworker_leases_taken_over_total", &[]),
        Some(0.0)
    );
    for outcome in ["accepted", "refused"] {
        assert_eq!(
            sample(&text, "genworker_callbacks_total", &[("outcome", outcome)]),
            Some(0.0),
            "{outcome}"
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        sample(&text, "genworker_build_info", &[("version", version)]),
        Some(1.0),
        "{text}"
    );
    let rss = sample(&text, "process_resident_memory_bytes", &[]).unwrap_or(0.0);
    assert!(rss > 1_000_000.0, "{rss}:\n{text}");
    assert!(
        sample(&text, "process_open_fds", &[]).unwrap_or(0.0) >= 3.0,
        "{text}"
    );
    assert!(
        sample(&text, "process_cpu_seconds_total", &[]).is_some(),
        "{text}"
    );
    assert_eq!(h.request(paused.id).await.status, "queued");
    // docs/DEPLOY.md lists every series the endpoint serves.
    let deploy =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/DEPLOY.md")).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    assert!(names.len() > 20, "{names:?}");
    for name in names {
        assert!(
            deploy.contains(&format!("`{name}`")),
            "{name} is not in docs/DEPLOY.md"
        );
    }
}

async fn queue_depth_counts_the_queued_requests_of_active_models(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    assert_eq!(queue_depth(&h.pool, &["kling"]).await.unwrap(), []);
    let first = h.enqueue("one", "text2video", json!({}), None).await;
    h.enqueue("two", "text2video", json!({}), None).await;
    let done = h.enqueue("three", "text2video", json!({}), None).await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET status = 'done' WHERE id = {}",
        done.id
    ));
    let created = h.request(first.id).await.created_at;
    assert_eq!(
        queue_depth(&h.pool, &["other"]).await.unwrap(),
        [],
        "only the providers asked for"
    );
    assert_eq!(
        queue_depth(&h.pool, &["kling", "other"]).await.unwrap(),
        [QueueDepth {
            provider: "kling".into(),
            active: true,
            queued: 2,
            oldest: Some(created),
        }]
    );
    h.sql("UPDATE botapp_aimodel SET is_active = false WHERE slug = 'kling-v1'");
    assert_eq!(
        queue_depth(&h.pool, &["kling"]).await.unwrap(),
        [QueueDepth {
            provider: "kling".into(),
            active: false,
            queued: 2,
            oldest: Some(created),
        }],
        "a paused model's requests are counted apart"
    );
}
