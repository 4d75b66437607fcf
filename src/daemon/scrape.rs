//! `/metrics`: the recorder's counters and histograms, plus what is read at
//! scrape time: the process (CPU, memory, open files), the queue's depth and
//! oldest age per provider (SQL, paused models apart), the jobs this process
//! runs, which providers can serve, and the log lines lost.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;

use super::availability::Availability;
use super::slots::Slots;
use crate::db::Database;
use crate::db::types::UtcTime;
use crate::metrics::{
    CIRCUIT_OPEN, IN_FLIGHT, LOG_LINES_DROPPED, OLDEST_QUEUED_SECONDS, PROVIDER_UP, QUEUE_DEPTH,
    Sample, write_metric,
};
use crate::queue::queue_depth;

/// What `/metrics` reads.
#[derive(Clone)]
pub(super) struct Scrape {
    pub(super) db: Database,
    pub(super) availability: Availability,
    pub(super) slots: Slots,
    pub(super) recorder: PrometheusHandle,
}

/// The Prometheus text exposition.
pub(super) async fn metrics(State(scrape): State<Scrape>) -> impl IntoResponse {
    metrics_process::Collector::default().collect();
    let mut out = scrape.recorder.render();
    let in_flight = scrape.slots.in_flight();
    let samples: Vec<Sample> = in_flight
        .iter()
        .map(|(provider, jobs)| Sample::provider(*provider, *jobs as f64))
        .collect();
    write_metric(
        &mut out,
        "gauge",
        IN_FLIGHT,
        "Requests this process runs now.",
        &samples,
    );
    let up = scrape.availability.up();
    let samples: Vec<Sample> = up
        .iter()
        .map(|(provider, up)| Sample::provider(provider.clone(), *up))
        .collect();
    write_metric(
        &mut out,
        "gauge",
        PROVIDER_UP,
        "1 when the provider can serve; 0 when it was not built or its circuit is open.",
        &samples,
    );
    let circuits = &scrape.availability.circuits;
    let samples: Vec<Sample> = in_flight
        .iter()
        .map(|(provider, _)| {
            let open = circuits.is_open(provider);
            Sample::provider(*provider, if open { 1.0 } else { 0.0 })
        })
        .collect();
    write_metric(
        &mut out,
        "gauge",
        CIRCUIT_OPEN,
        "1 while the provider refuses genworker's credentials and its requests wait.",
        &samples,
    );
    write_metric(
        &mut out,
        "counter",
        LOG_LINES_DROPPED,
        "Log lines lost: the log queue was full or standard error closed.",
        &[Sample {
            labels: Vec::new(),
            value: crate::telemetry::dropped_lines() as f64,
        }],
    );
    let providers: Vec<&str> = in_flight.iter().map(|(name, _)| *name).collect();
    write_queue(&mut out, &scrape.db, &providers).await;
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// The queue's depth (active and paused models apart) and the age of its
/// oldest claimable request, every provider of this process reported (at 0
/// when nothing waits).
async fn write_queue(out: &mut String, db: &Database, providers: &[&str]) {
    let depths = match queue_depth(db, providers).await {
        Ok(depths) => depths,
        Err(error) => {
            tracing::warn!(%error, "cannot read the queue depth for /metrics");
            return;
        }
    };
    let now = UtcTime::now().0;
    let mut queued = Vec::new();
    let mut oldest = Vec::new();
    for provider in providers {
        let of = |active: bool| {
            depths
                .iter()
                .find(|depth| depth.provider == *provider && depth.active == active)
        };
        for (active, paused) in [(true, "false"), (false, "true")] {
            queued.push(Sample {
                labels: vec![
                    ("provider", (*provider).to_owned()),
                    ("paused", paused.into()),
                ],
                value: of(active).map_or(0.0, |depth| depth.queued as f64),
            });
        }
        let age = of(true)
            .and_then(|depth| depth.oldest)
            .map_or(0.0, |created| {
                (now - created.0).num_milliseconds().max(0) as f64 / 1000.0
            });
        oldest.push(Sample::provider(*provider, age));
    }
    write_metric(
        out,
        "gauge",
        QUEUE_DEPTH,
        "Queued requests: of active models (paused=\"false\") and of inactive ones (paused=\"true\").",
        &queued,
    );
    write_metric(
        out,
        "gauge",
        OLDEST_QUEUED_SECONDS,
        "Age of the oldest queued request of an active model.",
        &oldest,
    );
}
