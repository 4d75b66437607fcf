//! What commands print on standard output, and the one place its failures end up:
//! a closed standard output (`genworker … | head`) ends a command quietly with
//! exit 0, as it ends `ls` or `git log`; any other failure is a [`CliError::Stdout`].

use std::io::Write;

use serde_json::Value;

use super::CliError;

/// Writes one line (`format!` arguments) on standard output, or fails with
/// [`CliError::Stdout`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Writes `text` and a newline on standard output.
pub(crate) fn line(text: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(CliError::Stdout)
}

/// Writes `text` as it is and flushes it (a refreshed screen).
pub(crate) fn write_flushed(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Stdout)
}

/// A command's result with a closed standard output counted as success: whoever
/// read it has all they wanted.
pub(crate) fn closed_stdout_is_success(result: Result<(), CliError>) -> Result<(), CliError> {
    match result {
        Err(CliError::Stdout(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints pretty JSON on standard output.
pub(crate) fn print_json(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(CliError::Output)?;
    outln!("{text}")
}
