//! Operator faults pause, users keep their requests: a provider that refuses
//! genworker's credentials opens its circuit (requests back in the queue,
//! nothing refunded, one ERROR line, `/healthz` 503, `genworker_provider_up` 0)
//! until a probe succeeds or the key is fixed; a provider that cannot be built
//! makes `/healthz` 503 with the reason. The probes run with the instant
//! provider.

use std::time::{Duration, Instant};

use genworker::i18n::UserText;
use genworker::provider::ProviderError;
use genworker::provider::instant::{Fault, InstantProvider, Script};
use serde_json::json;

use super::Harness;
use super::health::{client, healthz};
use crate::support::{TestDb, free_addr, on_every_schema};

on_every_schema!(
    a_wrong_key_leaves_every_request_queued_until_the_key_is_fixed,
    a_probe_closes_the_circuit_once_the_provider_takes_the_key_again,
);

async fn scrape(addr: &str) -> String {
    client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn a_wrong_key_leaves_every_request_queued_until_the_key_is_fixed(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let mut ids = Vec::new();
    for (prompt, user) in [("one", 61), ("two", 62), ("three", 63)] {
        ids.push(
            h.enqueue(prompt, "text2video", json!({}), Some(user))
                .await
                .id,
        );
    }
    let balances = h.balances().await;
    let addr = free_addr();
    let daemon = h.spawn_binary(&[
        ("KLING_API_KEY", "a-wrong-key"),
        ("GENWORKER_HTTP_ADDR", &addr),
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        let (status, body) = healthz(&addr).await;
        if status == 503 {
            break body;
        }
        assert!(Instant::now() < deadline, "never unhealthy: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("provider `kling` refuses genworker's credentials or account")
            && reason.contains("401 Unauthorized"),
        "{reason}"
    );
    // Every request that was tried is back in the queue; none is lost or failed.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut queued = 0;
        for id in &ids {
            let request = h.request(*id).await;
            assert!(
                matches!(request.status.as_str(), "queued" | "processing"),
                "{}: {}",
                request.status,
                request.error_message
            );
            queued += usize::from(request.status == "queued");
        }
        if queued == ids.len() {
            break;
        }
        assert!(Instant::now() < deadline, "not all queued again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = scrape(&addr).await;
    assert!(
        metrics.contains("genworker_provider_up{provider=\"kling\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("genworker_circuit_open{provider=\"kling\"} 1"),
        "{metrics}"
    );
    assert_eq!(h.refund_count().await, 0, "nothing refunded");
    assert_eq!(h.balances().await, balances);
    assert!(h.sim.telegram_messages().is_empty(), "no user told");
    assert_eq!(h.sim.task_count(), 0);
    let logs = daemon.kill_and_logs();
    let errors: Vec<&str> = logs.lines().filter(|line| line.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "one ERROR line:\n{logs}");
    assert!(
        errors[0].contains("refuses genworker's credentials or account")
            && errors[0].contains("KLING_API_KEY")
            && errors[0].contains("401 Unauthorized"),
        "{}",
        errors[0]
    );
    assert!(!logs.contains("a-wrong-key"), "the key was logged:\n{logs}");

    // The key fixed: everything finishes, each user told once, nothing refunded.
    let addr = free_addr();
    let daemon = h.spawn_binary(&[("GENWORKER_HTTP_ADDR", &addr)]);
    h.wait_final(&ids, Duration::from_secs(30)).await;
    for id in &ids {
        let request = h.request(*id).await;
        assert_eq!(request.status, "done", "{}", request.error_message);
    }
    assert_eq!(healthz(&addr).await.0, 200);
    assert_eq!(h.refund_count().await, 0);
    assert_eq!(h.sim.telegram_messages().len(), ids.len(), "each told once");
    drop(daemon);
}

async fn a_probe_closes_the_circuit_once_the_provider_takes_the_key_again(db: TestDb) {
    let h = Harness::instant(db, &[]).await;
    let refused = Fault::Refuse(ProviderError::Unauthorized(UserText::same(
        "401 Unauthorized",
    )));
    let script = Script::new([refused.clone(), refused]);
    let first = h.enqueue("first", "text2video", json!({}), Some(64)).await;
    let second = h.enqueue("second", "text2video", json!({}), Some(65)).await;
    // One task at a time. Refused once: the circuit opens; the first probe
    // (5 s later) is refused too; the next (10 s after that) goes through and
    // closes it.
    let provider = InstantProvider::scripted("kling", 1, script.clone());
    h.run_until_idle("w", &[], provider, Duration::from_secs(40))
        .await;
    for id in [first.id, second.id] {
        let request = h.request(id).await;
        assert_eq!(request.status, "done", "{}", request.error_message);
    }
    assert_eq!(script.submits(), 4, "2 refused, 2 created");
    assert_eq!(h.refund_count().await, 0);
    let (_, attempt, failures, _) = h.lease(first.id).await.unwrap();
    assert_eq!(failures, 0, "a refused key is not the request's failure");
    assert!(attempt >= 2, "claimed again after the pause: {attempt}");
}
