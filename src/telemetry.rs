//! Logging: `tracing` to standard error, as text or JSON (`LOG_FORMAT`), filtered
//! by `RUST_LOG` (default `info`). Command output goes to standard output.
//!
//! Log lines never hold up work: they go through a bounded queue to a writer
//! thread that drops lines when the queue is full, and a standard error that is
//! closed or broken drops the line instead of panicking. Both losses are
//! counted ([`dropped_lines`], exported as `genworker_log_lines_dropped_total`).

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

/// The log filter's variable (`tracing` env-filter syntax), read from the
/// environment only.
pub const FILTER_VARIABLE: &str = "RUST_LOG";

/// Lines the writer thread could not write (standard error closed or broken).
static FAILED_WRITES: AtomicU64 = AtomicU64::new(0);
/// Lines dropped because the queue to the writer thread was full.
static QUEUE_DROPS: OnceLock<ErrorCounter> = OnceLock::new();
/// Lines the queue holds before new ones are dropped.
const QUEUED_LINES: usize = 16_384;

/// Crates that log credentials below INFO, capped there whatever `RUST_LOG`
/// says: yup-oauth2 logs its token request (the signed JWT assertion) and the
/// tokens it caches at DEBUG.
const CAPPED_AT_INFO: [&str; 1] = ["yup_oauth2=info"];

/// `filter` with [`CAPPED_AT_INFO`] added last, so it replaces any directive
/// for the same crate.
fn secret_safe(mut filter: EnvFilter) -> EnvFilter {
    for directive in CAPPED_AT_INFO {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Keeps the log writer thread alive; dropping it flushes what is queued.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber; a second call (tests) leaves the first in place.
pub fn init(format: LogFormat) -> LogGuard {
    let filter = secret_safe(
        EnvFilter::try_from_env(FILTER_VARIABLE).unwrap_or_else(|_| EnvFilter::new("info")),
    );
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("genworker-log")
        .finish(Stderr);
    let drops = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_err() {
        return LogGuard { _writer: None };
    }
    let _ = QUEUE_DROPS.set(drops);
    LogGuard {
        _writer: Some(guard),
    }
}

/// Log lines lost so far: dropped from a full queue or not writable to stderr.
pub fn dropped_lines() -> u64 {
    let queued = QUEUE_DROPS.get().map_or(0, |c| c.dropped_lines() as u64);
    queued + FAILED_WRITES.load(Ordering::Relaxed)
}

/// Standard error that never reports a failure: a lost line is counted instead.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(write_or_count(&mut std::io::stderr().lock(), buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().lock().flush();
        Ok(())
    }
}

/// Writes one whole line to `out`; on failure counts it as lost. Returns its length.
fn write_or_count(out: &mut impl Write, line: &[u8]) -> usize {
    if out.write_all(line).is_err() {
        FAILED_WRITES.fetch_add(1, Ordering::Relaxed);
    }
    line.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_logging_crates_stay_at_info_whatever_the_filter_asks() {
        for asked in ["trace", "debug,yup_oauth2=trace", "yup_oauth2=debug"] {
            let filter = secret_safe(EnvFilter::new(asked)).to_string();
            assert!(filter.contains("yup_oauth2=info"), "{asked}: {filter}");
            assert!(!filter.contains("yup_oauth2=trace"), "{asked}: {filter}");
            assert!(!filter.contains("yup_oauth2=debug"), "{asked}: {filter}");
        }
    }

    /// A writer whose reader has gone, as a closed pipe is.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_writer_counts_the_line_instead_of_failing() {
        let before = FAILED_WRITES.load(Ordering::Relaxed);
        assert_eq!(write_or_count(&mut Closed, b"a line\n"), 7);
        assert_eq!(FAILED_WRITES.load(Ordering::Relaxed), before + 1);
        let mut open = Vec::new();
        assert_eq!(write_or_count(&mut open, b"kept\n"), 5);
        assert_eq!(open, b"kept\n");
        assert_eq!(FAILED_WRITES.load(Ordering::Relaxed), before + 1);
    }
}
