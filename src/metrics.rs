//! Prometheus metrics: the names and labels genworker records, and the recorder
//! that `/metrics` renders.
//!
//! Code records through the `metrics` facade; until [`install`] runs (only when
//! `GENWORKER_HTTP_ADDR` is set) every record is a no-op. The recorder is
//! process-wide, so several daemons in one process share their counters.

use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests claimed, by provider.
pub const CLAIMS: &str = "genworker_claims_total";
/// Requests done, by provider.
pub const COMPLETIONS: &str = "genworker_completions_total";
/// Requests failed, by provider and reason.
pub const FAILURES: &str = "genworker_failures_total";
/// Requests given back to retry later, by provider and reason.
pub const RETRIES: &str = "genworker_retries_total";
/// Refunds written, by provider.
pub const REFUNDS: &str = "genworker_refunds_total";
/// Provider HTTP calls, by provider, call and outcome, in seconds.
pub const PROVIDER_CALL_SECONDS: &str = "genworker_provider_call_duration_seconds";
/// Bytes of result videos downloaded from providers (a retried download counts again).
pub const DOWNLOADED_BYTES: &str = "genworker_downloaded_bytes_total";
/// Queued requests by provider, active (`paused="false"`) and inactive models
/// (`paused="true"`) apart (read at scrape time).
pub const QUEUE_DEPTH: &str = "genworker_queue_depth";
/// Age of the oldest queued request of an active model, by provider.
pub const OLDEST_QUEUED_SECONDS: &str = "genworker_oldest_queued_age_seconds";
/// Jobs this process runs now, by provider.
pub const IN_FLIGHT: &str = "genworker_requests_in_flight";
/// Requests cancelled while this process ran them, by provider.
pub const CANCELLATIONS: &str = "genworker_cancellations_total";
/// 1 when a provider can serve, 0 when it cannot (not built, or its circuit open).
pub const PROVIDER_UP: &str = "genworker_provider_up";
/// 1 while a provider's circuit is open (it refuses genworker's credentials).
pub const CIRCUIT_OPEN: &str = "genworker_circuit_open";
/// Always 1, labelled with the running version.
pub const BUILD_INFO: &str = "genworker_build_info";
/// Log lines lost (the log queue full, or standard error closed).
pub const LOG_LINES_DROPPED: &str = "genworker_log_lines_dropped_total";
/// Counter: provider callbacks received, by outcome (`accepted`, `refused`).
pub const CALLBACKS: &str = "genworker_callbacks_total";
/// Counter: leases of dead workers taken over before they expired.
pub const TAKEN_OVER: &str = "genworker_leases_taken_over_total";

/// Provider calls take from milliseconds (a status read) to a minute (a slow create).
const CALL_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The installed recorder's handle; the lock makes checking and installing one step.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Why the recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the metrics recorder: {0}")]
pub struct InstallError(String);

/// Installs the process-wide recorder (once; later calls return the same handle,
/// also when several daemons start together).
pub fn install() -> Result<PrometheusHandle, InstallError> {
    // A panic while holding this lock leaves an Option behind: keep going.
    let mut installed = HANDLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(PROVIDER_CALL_SECONDS.to_owned()),
            &CALL_BUCKETS,
        )
        .map_err(|error| InstallError(error.to_string()))?
        .install_recorder()
        .map_err(|error| InstallError(error.to_string()))?;
    describe();
    metrics_process::Collector::default().describe();
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    counter!(TAKEN_OVER).absolute(0);
    for outcome in ["accepted", "refused"] {
        counter!(CALLBACKS, "outcome" => outcome).absolute(0);
    }
    *installed = Some(handle.clone());
    Ok(handle)
}

fn describe() {
    describe_counter!(CLAIMS, "Requests claimed, by provider.");
    describe_counter!(COMPLETIONS, "Requests done, by provider.");
    describe_counter!(FAILURES, "Requests failed, by provider and reason.");
    describe_counter!(RETRIES, "Requests given back to retry later.");
    describe_counter!(REFUNDS, "Refunds written for failed requests.");
    describe_counter!(
        CALLBACKS,
        "Provider callbacks received: accepted (a good token) or refused."
    );
    describe_counter!(
        TAKEN_OVER,
        "Leases of dead workers taken over before they expired."
    );
    describe_counter!(
        CANCELLATIONS,
        "Requests cancelled while this process ran them."
    );
    describe_gauge!(BUILD_INFO, "Always 1, labelled with genworker's version.");
    describe_histogram!(
        PROVIDER_CALL_SECONDS,
        metrics::Unit::Seconds,
        "Provider API calls, by call and outcome."
    );
    describe_counter!(
        DOWNLOADED_BYTES,
        metrics::Unit::Bytes,
        "Bytes of result videos downloaded from providers."
    );
}

/// Records `count` requests claimed for `provider`.
pub fn claimed(provider: &'static str, count: usize) {
    counter!(CLAIMS, "provider" => provider).increment(count as u64);
}

/// Records one provider callback received.
pub fn callback(outcome: &'static str) {
    counter!(CALLBACKS, "outcome" => outcome).increment(1);
}

/// Records `count` leases of dead workers taken over.
pub fn taken_over(count: usize) {
    counter!(TAKEN_OVER).increment(count as u64);
}

/// Records one call to a provider's API.
pub fn provider_call(provider: &'static str, call: &'static str, ok: bool, took: Duration) {
    let outcome = if ok { "ok" } else { "error" };
    histogram!(PROVIDER_CALL_SECONDS, "provider" => provider, "call" => call, "outcome" => outcome)
        .record(took.as_secs_f64());
}

/// Records a result video of `bytes` downloaded.
pub fn downloaded(bytes: u64) {
    counter!(DOWNLOADED_BYTES).increment(bytes);
}

/// One sample of a metric read at scrape time: its labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Label names and values, in order.
    pub labels: Vec<(&'static str, String)>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// A sample labelled with its provider only.
    pub fn provider(provider: impl Into<String>, value: f64) -> Self {
        Self {
            labels: vec![("provider", provider.into())],
            value,
        }
    }
}

/// Appends a metric read at scrape time (`kind`: `gauge` or `counter`), in the
/// Prometheus text format. These are not kept in the recorder: a value that
/// could not be read is absent rather than stale.
pub fn write_metric(out: &mut String, kind: &str, name: &str, help: &str, samples: &[Sample]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for sample in samples {
        let labels: Vec<String> = sample
            .labels
            .iter()
            .map(|(label, value)| format!("{label}=\"{}\"", escape_label(value)))
            .collect();
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {}", sample.value);
        } else {
            let _ = writeln!(out, "{name}{{{}}} {}", labels.join(","), sample.value);
        }
    }
}

/// A label value as the text format wants it: `\\`, `\"` and `\n` escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_time_gauges_are_valid_text_format_with_escaped_labels() {
        let mut out = String::new();
        let paused = Sample {
            labels: vec![
                ("provider", "we\"ird\\\n".into()),
                ("paused", "true".into()),
            ],
            value: 0.5,
        };
        write_metric(
            &mut out,
            "gauge",
            QUEUE_DEPTH,
            "Queued requests.",
            &[Sample::provider("kling", 3.0), paused],
        );
        write_metric(
            &mut out,
            "counter",
            LOG_LINES_DROPPED,
            "Lost.",
            &[Sample {
                labels: Vec::new(),
                value: 2.0,
            }],
        );
        assert_eq!(
            out,
            "# HELP genworker_queue_depth Queued requests.\n\
             # TYPE genworker_queue_depth gauge\n\
             genworker_queue_depth{provider=\"kling\"} 3\n\
             genworker_queue_depth{provider=\"we\\\"ird\\\\\\n\",paused=\"true\"} 0.5\n\
             # HELP genworker_log_lines_dropped_total Lost.\n\
             # TYPE genworker_log_lines_dropped_total counter\n\
             genworker_log_lines_dropped_total 2\n"
        );
    }
}
