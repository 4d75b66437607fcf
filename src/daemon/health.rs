//! `/healthz` on `GENWORKER_HTTP_ADDR`: 200 while the database answers and the
//! claim loop ran recently; 503 with a JSON reason otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Json;
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::db::{Database, DbError};
use crate::with_conn;

/// Longest wait for the database's answer.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// When the claim loop last ran.
pub(super) struct ClaimTicks {
    started: Instant,
    last_ms: AtomicU64,
}

impl ClaimTicks {
    pub(super) fn new() -> Self {
        Self {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    /// Records a run of the claim loop.
    pub(super) fn tick(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn since_last(&self) -> Duration {
        self.started.elapsed() - Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// What `/healthz` checks.
#[derive(Clone)]
pub(super) struct Checks {
    pub(super) db: Database,
    pub(super) ticks: Arc<ClaimTicks>,
    /// The claim loop counts as stuck after this long.
    pub(super) stale_after: Duration,
}

/// 200 with the claim loop's last run, or 503 with the reason.
pub(super) async fn healthz(State(checks): State<Checks>) -> (StatusCode, Json<Value>) {
    let since = checks.ticks.since_last();
    if since > checks.stale_after {
        return unavailable(format!(
            "the claim loop has not run for {:.0} s",
            since.as_secs_f64()
        ));
    }
    let db = checks.db.clone();
    let ping = async move {
        with_conn!(&db, |conn| diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(drop)
            .map_err(DbError::from))
    };
    match tokio::time::timeout(PING_TIMEOUT, ping).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({
                "status": "ok",
                "claim_loop_ms_ago": u64::try_from(since.as_millis()).unwrap_or(u64::MAX),
            })),
        ),
        Ok(Err(error)) => unavailable(format!("the database fails: {error}")),
        Err(_) => unavailable(format!(
            "the database did not answer within {} s",
            PING_TIMEOUT.as_secs()
        )),
    }
}

fn unavailable(reason: String) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": reason})),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::OpenMode;

    async fn checks(stale_after: Duration) -> (Checks, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.sqlite3").display());
        let db = Database::open(&url.parse().unwrap(), OpenMode::CreateIfMissing, 1)
            .await
            .unwrap();
        let ticks = Arc::new(ClaimTicks::new());
        ticks.tick();
        let checks = Checks {
            db,
            ticks,
            stale_after,
        };
        (checks, dir)
    }

    #[tokio::test]
    async fn a_stuck_claim_loop_is_unhealthy_and_a_running_one_healthy() {
        let (fresh, _dir) = checks(Duration::from_secs(60)).await;
        assert_eq!(healthz(State(fresh)).await.0, StatusCode::OK);
        let (stuck, _dir) = checks(Duration::from_millis(20)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (status, Json(body)) = healthz(State(stuck.clone())).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            body["reason"].as_str().unwrap().contains("claim loop"),
            "{body}"
        );
        stuck.ticks.tick();
        assert_eq!(healthz(State(stuck)).await.0, StatusCode::OK);
    }
}
