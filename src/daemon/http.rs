//! The operators' endpoint on `GENWORKER_HTTP_ADDR`: `/healthz` ([`super::health`])
//! and `/metrics` ([`super::scrape`]), and with callbacks on the providers'
//! `POST /callbacks/…` ([`super::callbacks`]).

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::callbacks::{Callbacks, MAX_BODY, callback};
use super::health::{Checks, healthz};
use super::scrape::{Scrape, metrics};

/// How often the recorder drains its histogram samples between scrapes, so that
/// memory stays bounded when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Serves the routes until `stop`.
pub(super) async fn serve(
    listener: TcpListener,
    checks: Checks,
    scrape: Scrape,
    callbacks: Option<Callbacks>,
    stop: CancellationToken,
) {
    let recorder = scrape.recorder.clone();
    let upkeep_stop = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = upkeep_stop.cancelled() => return,
                _ = tokio::time::sleep(UPKEEP_EVERY) => recorder.run_upkeep(),
            }
        }
    });
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .with_state(checks)
        .merge(
            Router::new()
                .route("/metrics", get(metrics))
                .with_state(scrape),
        );
    if let Some(callbacks) = callbacks {
        let path = format!(
            "{}/{{provider}}/{{task_key}}/{{token}}",
            crate::callback::PATH
        );
        app = app.merge(
            Router::new()
                .route(&path, post(callback))
                .layer(DefaultBodyLimit::max(MAX_BODY))
                .with_state(callbacks),
        );
    }
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        tracing::warn!(%error, "the HTTP endpoint stopped");
    }
}
