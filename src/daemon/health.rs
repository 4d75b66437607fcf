//! `/healthz` on `GENWORKER_HTTP_ADDR`: 200 while the database answers, the
//! claim loop ran recently and the providers the active models need can serve;
//! 503 with a JSON reason otherwise (no provider configured, a provider of an
//! active model not built, a provider's circuit open).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Json;
use diesel::prelude::*;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::availability::Availability;
use crate::db::{Database, DbError};
use crate::schema::botapp_aimodel as model;
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
    pub(super) availability: Availability,
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
    // The providers of the active models: the ping, and what must be served.
    let ping = async move {
        with_conn!(&db, |conn| model::table
            .filter(model::is_active)
            .select(model::provider)
            .distinct()
            .load::<String>(conn)
            .map_err(DbError::from))
    };
    match tokio::time::timeout(PING_TIMEOUT, ping).await {
        Ok(Ok(active)) => match checks.availability.problem(&active) {
            Some(problem) => unavailable(problem),
            None => (
                StatusCode::OK,
                Json(json!({
                    "status": "ok",
                    "claim_loop_ms_ago": u64::try_from(since.as_millis()).unwrap_or(u64::MAX),
                })),
            ),
        },
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
    use std::collections::HashMap;

    use super::*;
    use crate::db::OpenMode;
    use crate::provider::ProviderRegistry;
    use crate::settings::Settings;

    /// A database whose catalog has one active Kling model, and the checks of a
    /// process configured by `env`.
    async fn checks(stale_after: Duration, env: &[(&str, &str)]) -> (Checks, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.sqlite3").display());
        let db = Database::open(&url.parse().unwrap(), OpenMode::CreateIfMissing, 1)
            .await
            .unwrap();
        with_conn!(&db, |conn| {
            diesel::sql_query(
                "CREATE TABLE botapp_aimodel (id INTEGER PRIMARY KEY, provider TEXT NOT NULL, \
                 is_active BOOL NOT NULL); \
                 INSERT INTO botapp_aimodel VALUES (1, 'kling', 1)",
            )
            .execute(conn)
            .map(drop)
            .map_err(DbError::from)
        })
        .unwrap();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        let settings = Settings::from_sources(None, env).unwrap();
        let ticks = Arc::new(ClaimTicks::new());
        ticks.tick();
        let checks = Checks {
            db,
            availability: Availability::new(&ProviderRegistry::from_settings(&settings)),
            ticks,
            stale_after,
        };
        (checks, dir)
    }

    const KEY: [(&str, &str); 1] = [("KLING_API_KEY", "k")];

    #[tokio::test]
    async fn a_stuck_claim_loop_is_unhealthy_and_a_running_one_healthy() {
        let (fresh, _dir) = checks(Duration::from_secs(60), &KEY).await;
        assert_eq!(healthz(State(fresh)).await.0, StatusCode::OK);
        let (stuck, _dir) = checks(Duration::from_millis(20), &KEY).await;
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

    #[tokio::test]
    async fn a_provider_that_cannot_run_is_unhealthy_with_the_reason() {
        let (unbuilt, _dir) = checks(Duration::from_secs(60), &[]).await;
        let (status, Json(body)) = healthz(State(unbuilt)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let reason = body["reason"].as_str().unwrap();
        assert!(reason.contains("no provider is configured"), "{reason}");
        assert!(reason.contains("KLING_API_KEY is not set"), "{reason}");
        let official = [("KLING_API_KEY", "k"), ("KLING_API_STYLE", "official")];
        let (status, Json(body)) =
            healthz(State(checks(Duration::from_secs(60), &official).await.0)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            body["reason"]
                .as_str()
                .unwrap()
                .contains("KLING_API_SECRET"),
            "{body}"
        );
    }
}
