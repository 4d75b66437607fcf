//! Prometheus metrics: the names and labels genworker records, and the recorder
//! that `/metrics` renders.
//!
//! Code records through the `metrics` facade; until [`install`] runs (only when
//! `GENWORKER_HTTP_ADDR` is set) every record is a no-op. The recorder is
//! process-wide, so several daemons in one process share their counters.

use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_histogram, histogram};
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
/// Queued requests of active models, by provider (read at scrape time).
pub const QUEUE_DEPTH: &str = "genworker_queue_depth";
/// Age of the oldest queued request of an active model, by provider.
pub const OLDEST_QUEUED_SECONDS: &str = "genworker_oldest_queued_age_seconds";
/// Jobs this process runs now, by provider.
pub const IN_FLIGHT: &str = "genworker_requests_in_flight";

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
    *installed = Some(handle.clone());
    Ok(handle)
}

fn describe() {
    describe_counter!(CLAIMS, "Requests claimed, by provider.");
    describe_counter!(COMPLETIONS, "Requests done, by provider.");
    describe_counter!(FAILURES, "Requests failed, by provider and reason.");
    describe_counter!(RETRIES, "Requests given back to retry later.");
    describe_counter!(REFUNDS, "Refunds written for failed requests.");
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

/// Appends a gauge read at scrape time, one sample per provider, in the
/// Prometheus text format. These are not kept in the recorder: a value that
/// could not be read is absent rather than stale.
pub fn write_gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (provider, value) in samples {
        let _ = writeln!(
            out,
            "{name}{{provider=\"{}\"}} {value}",
            escape_label(provider)
        );
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
        write_gauge(
            &mut out,
            QUEUE_DEPTH,
            "Queued requests.",
            &[("kling".into(), 3.0), ("we\"ird\\\n".into(), 0.5)],
        );
        assert_eq!(
            out,
            "# HELP genworker_queue_depth Queued requests.\n\
             # TYPE genworker_queue_depth gauge\n\
             genworker_queue_depth{provider=\"kling\"} 3\n\
             genworker_queue_depth{provider=\"we\\\"ird\\\\\\n\"} 0.5\n"
        );
    }
}
