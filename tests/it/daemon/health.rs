//! `/healthz` on `GENWORKER_HTTP_ADDR`: 200 while the database answers and the
//! claim loop runs; 503 with a JSON reason once the database is gone.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Harness;
use crate::support::{TestDb, free_addr, on_every_schema};

on_every_schema!(
    healthz_answers_ok_while_the_database_and_the_claim_loop_run,
    healthz_is_503_with_the_reason_when_a_provider_cannot_be_built,
);

/// An HTTP client as genworker builds them (its TLS provider installed).
pub(super) fn client() -> reqwest::Client {
    genworker::net::client_builder().build().unwrap()
}

/// Status and JSON body of `/healthz`, once it listens.
pub(super) async fn healthz(addr: &str) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client().get(format!("http://{addr}/healthz")).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                return (status, response.json().await.unwrap());
            }
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "/healthz never answered: {error}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn healthz_answers_ok_while_the_database_and_the_claim_loop_run(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let addr = free_addr();
    let daemon = h.start("healthy", &[("GENWORKER_HTTP_ADDR", &addr)]);
    let (status, body) = healthz(&addr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert!(body["claim_loop_ms_ago"].as_u64().is_some(), "{body}");
    daemon.shutdown().await;
    assert!(
        client()
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_err(),
        "the endpoint stops with the daemon"
    );
}

async fn healthz_is_503_with_the_reason_when_a_provider_cannot_be_built(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let addr = free_addr();
    // The official style without its secret: Kling cannot be built.
    let daemon = h.spawn_binary(&[
        ("GENWORKER_HTTP_ADDR", &addr),
        ("KLING_API_STYLE", "official"),
    ]);
    let (status, body) = healthz(&addr).await;
    assert_eq!(status, 503, "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("no provider is configured")
            && reason.contains("KLING_API_STYLE=official needs KLING_API_KEY and KLING_API_SECRET"),
        "{reason}"
    );
    let metrics = client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("genworker_provider_up{provider=\"kling\"} 0"),
        "{metrics}"
    );
    drop(daemon);
}

#[tokio::test]
async fn postgres_healthz_goes_503_when_the_database_is_gone() {
    let h = Harness::new(TestDb::postgres(), &[]).await;
    let addr = free_addr();
    let daemon = h.start("doomed", &[("GENWORKER_HTTP_ADDR", &addr)]);
    assert_eq!(healthz(&addr).await.0, 200);
    h.drop_postgres_database();
    let (status, body) = healthz(&addr).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("database"), "{reason}");
    daemon.crash();
}
