//! Provider callbacks as wake-ups (`GENWORKER_CALLBACK_URL`): the official
//! Kling style sends `callback_url` with a per-task token; the callback wakes
//! the job, which asks Kling for the task's state, while polling slows to
//! `KLING_CALLBACK_POLL_INTERVAL` (60 s here, so only a wake finishes these
//! tasks quickly). A bad token is a 404 and changes nothing, a body over 64 KiB
//! is refused, a lost callback is covered by the slow poll, and on PostgreSQL a
//! callback that reaches another replica wakes the job where it runs.

use std::time::{Duration, Instant};

use genworker::callback::CallbackKeys;
use genworker::simulator::{Endpoint, Knobs};
use serde_json::json;

use super::{Harness, pairs};
use crate::support::{TestDb, free_addr, on_every_schema};

on_every_schema!(
    a_callback_wakes_the_job_instead_of_the_slow_poll,
    a_bad_token_is_a_404_and_a_large_body_is_refused,
    a_lost_callback_is_covered_by_the_slow_poll,
);

const SECRET: &str = "a-callback-secret-for-the-tests";

/// The official style with callbacks to `target` (an HTTP address), this
/// daemon's endpoint on `addr`, and a fallback poll of `fallback` seconds.
fn callbacks(addr: &str, target: &str, fallback: &str) -> Vec<(&'static str, String)> {
    vec![
        ("KLING_API_STYLE", "official".to_owned()),
        ("KLING_API_SECRET", "kling-secret".to_owned()),
        ("GENWORKER_HTTP_ADDR", addr.to_owned()),
        ("GENWORKER_CALLBACK_URL", format!("http://{target}")),
        ("GENWORKER_CALLBACK_SECRET", SECRET.to_owned()),
        ("KLING_CALLBACK_POLL_INTERVAL", fallback.to_owned()),
    ]
}

async fn a_callback_wakes_the_job_instead_of_the_slow_poll(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 1_000,
        ..Knobs::default()
    });
    let request = h
        .enqueue("called back", "text2video", json!({}), Some(81))
        .await;
    let addr = free_addr();
    let settings = callbacks(&addr, &addr, "60");
    let started = Instant::now();
    h.run_to_end(
        "called",
        &pairs(&settings),
        &[request.id],
        Duration::from_secs(20),
    )
    .await;
    let took = started.elapsed();
    let done = h.request(request.id).await;
    assert_eq!(done.status, "done", "{}", done.error_message);
    assert!(
        took < Duration::from_secs(8),
        "{took:?}: the 60 s poll would be later"
    );
    assert_eq!(h.sim.callbacks(), [200], "one callback, answered 200");
    assert!(
        h.sim.calls(Endpoint::KlingStatus) <= 2,
        "{} status calls",
        h.sim.calls(Endpoint::KlingStatus)
    );
    let body = h.sim.last_create_body().unwrap();
    let sent = body["callback_url"].as_str().unwrap();
    assert!(
        sent.starts_with(&format!("http://{addr}/callbacks/kling/{}/", done.run_code)),
        "{sent}"
    );
}

async fn a_bad_token_is_a_404_and_a_large_body_is_refused(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 1_500,
        lose_callbacks: true,
        ..Knobs::default()
    });
    let request = h
        .enqueue("guarded", "text2video", json!({}), Some(82))
        .await;
    let addr = free_addr();
    let settings = callbacks(&addr, &addr, "1");
    let running = h.start("guarded", &pairs(&settings));
    h.wait_for(request.id, Duration::from_secs(20), |r| {
        !r.provider_job_id.is_empty()
    })
    .await;
    let run_code = h.request(request.id).await.run_code;
    let keys = CallbackKeys::new(
        url::Url::parse(&format!("http://{addr}")).unwrap(),
        SECRET.to_owned().into(),
    );
    let good = keys.url_for("kling", &run_code);
    let client = reqwest::Client::new();
    let post = |url: String, body: Vec<u8>| {
        let client = client.clone();
        async move {
            client
                .post(url)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let forged = format!("{}x", &good[..good.len() - 1]);
    assert_eq!(post(forged, b"{}".to_vec()).await, 404, "a changed token");
    let other_task = keys.url_for("kling", "another-run-code");
    let swapped = format!(
        "{}/{}",
        good.rsplit_once('/').unwrap().0,
        other_task.rsplit_once('/').unwrap().1
    );
    assert_eq!(
        post(swapped, b"{}".to_vec()).await,
        404,
        "another task's token"
    );
    assert_eq!(
        post(good.clone(), vec![b' '; 65 * 1024]).await,
        413,
        "a body over 64 KiB"
    );
    let bad_before = h.sim.calls(Endpoint::KlingStatus);
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    running.shutdown().await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert!(
        bad_before <= 2,
        "the refused calls woke nothing: {bad_before} polls"
    );
}

async fn a_lost_callback_is_covered_by_the_slow_poll(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 500,
        lose_callbacks: true,
        ..Knobs::default()
    });
    let request = h
        .enqueue("lost call", "text2video", json!({}), Some(83))
        .await;
    let addr = free_addr();
    let settings = callbacks(&addr, &addr, "1");
    let started = Instant::now();
    h.run_to_end(
        "patient",
        &pairs(&settings),
        &[request.id],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(h.sim.callbacks().is_empty(), "none was sent");
    assert!(
        h.sim.calls(Endpoint::KlingStatus) >= 1,
        "the fallback poll asked"
    );
}

/// On PostgreSQL a callback may reach any replica: the one that receives it
/// NOTIFYs `genworker_callback`, and the one running the job wakes it.
#[tokio::test]
async fn postgres_a_callback_reaching_another_replica_wakes_the_job_there() {
    let h = Harness::new(TestDb::postgres(), &[]).await;
    h.sim.set_knobs(Knobs {
        finish_after_ms: 1_500,
        ..Knobs::default()
    });
    let request = h
        .enqueue("elsewhere", "text2video", json!({}), Some(84))
        .await;
    let (runs_it, receives) = (free_addr(), free_addr());
    let first = h.start("runs-it", &pairs(&callbacks(&runs_it, &receives, "60")));
    h.wait_for(request.id, Duration::from_secs(20), |r| {
        !r.provider_job_id.is_empty()
    })
    .await;
    let second = h.start("receives", &pairs(&callbacks(&receives, &receives, "60")));
    let started = Instant::now();
    h.wait_final(&[request.id], Duration::from_secs(20)).await;
    let took = started.elapsed();
    first.shutdown().await;
    second.shutdown().await;
    assert_eq!(h.request(request.id).await.status, "done");
    assert!(
        took < Duration::from_secs(8),
        "{took:?}: the 60 s poll would be later"
    );
    assert_eq!(h.sim.callbacks(), [200]);
    let (_, attempt, _, _) = h.lease(request.id).await.unwrap();
    assert_eq!(attempt, 1, "finished by the replica that ran it");
}
