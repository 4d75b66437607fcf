//! `/metrics`: the recorder's counters and histograms, plus what is read at
//! scrape time: the queue's depth and oldest age per provider (SQL) and the
//! jobs this process runs per provider.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;

use super::slots::Slots;
use crate::db::Database;
use crate::db::types::UtcTime;
use crate::metrics::{IN_FLIGHT, OLDEST_QUEUED_SECONDS, QUEUE_DEPTH, write_gauge};
use crate::queue::queue_depth;

/// What `/metrics` reads.
#[derive(Clone)]
pub(super) struct Scrape {
    pub(super) db: Database,
    pub(super) slots: Slots,
    pub(super) recorder: PrometheusHandle,
}

/// The Prometheus text exposition.
pub(super) async fn metrics(State(scrape): State<Scrape>) -> impl IntoResponse {
    let mut out = scrape.recorder.render();
    let in_flight: Vec<(String, f64)> = scrape
        .slots
        .in_flight()
        .into_iter()
        .map(|(provider, jobs)| (provider.to_owned(), jobs as f64))
        .collect();
    write_gauge(
        &mut out,
        IN_FLIGHT,
        "Requests this process runs now.",
        &in_flight,
    );
    let providers: Vec<&str> = in_flight.iter().map(|(name, _)| name.as_str()).collect();
    match queue_depth(&scrape.db, &providers).await {
        Ok(depths) => {
            // Every provider this process runs is reported, at 0 when nothing waits.
            let mut queued: Vec<(String, f64)> = in_flight
                .iter()
                .map(|(provider, _)| (provider.clone(), 0.0))
                .collect();
            let mut oldest = queued.clone();
            let now = UtcTime::now().0;
            for depth in depths {
                let age = depth.oldest.map_or(0.0, |created| {
                    (now - created.0).num_milliseconds().max(0) as f64 / 1000.0
                });
                set(&mut queued, depth.provider.clone(), depth.queued as f64);
                set(&mut oldest, depth.provider, age);
            }
            write_gauge(
                &mut out,
                QUEUE_DEPTH,
                "Queued requests of active models.",
                &queued,
            );
            write_gauge(
                &mut out,
                OLDEST_QUEUED_SECONDS,
                "Age of the oldest queued request of an active model.",
                &oldest,
            );
        }
        Err(error) => tracing::warn!(%error, "cannot read the queue depth for /metrics"),
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

fn set(samples: &mut Vec<(String, f64)>, provider: String, value: f64) {
    match samples.iter_mut().find(|(name, _)| *name == provider) {
        Some(sample) => sample.1 = value,
        None => samples.push((provider, value)),
    }
}
