//! `genworker requests watch`: a live view of requests in flight and recently
//! finished, refreshed in place on a terminal; printed once when the output is
//! piped (unless `--follow`), so it also works in scripts and logs.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::CliError;
use super::requests::summary_table;
use crate::db::Database;
use crate::db::types::UtcTime;
use crate::queue::admin::{self, RequestSummary};
use crate::queue::status;

/// Clears the terminal and moves the cursor home.
const CLEAR: &str = "\x1b[2J\x1b[H";

/// How `watch` runs.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Time between refreshes.
    pub every: Duration,
    /// Rows per section at most.
    pub limit: i64,
    /// Keep refreshing even when the output is not a terminal.
    pub follow: bool,
}

/// Shows the view until Ctrl-C (or once, when piped without `--follow`).
pub async fn watch(db: &Database, options: WatchOptions) -> Result<(), CliError> {
    let terminal = std::io::stdout().is_terminal();
    if !terminal && !options.follow {
        print!("{}", frame(db, options.limit).await?);
        return Ok(());
    }
    let stop = super::shutdown_signal();
    tokio::pin!(stop);
    loop {
        let text = frame(db, options.limit).await?;
        let mut out = std::io::stdout().lock();
        let written = if terminal {
            write!(out, "{CLEAR}{text}")
        } else {
            writeln!(out, "{text}")
        };
        written
            .and_then(|()| out.flush())
            .map_err(|error| CliError::Output(error.to_string()))?;
        drop(out);
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(options.every) => {}
        }
    }
}

/// One screen: a header, the requests in flight, the latest finished ones.
async fn frame(db: &Database, limit: i64) -> Result<String, CliError> {
    let mut in_flight = Vec::new();
    for wanted in [status::PROCESSING, status::QUEUED] {
        in_flight.extend(admin::list_requests(db, Some(wanted.into()), limit).await?);
    }
    in_flight.truncate(usize::try_from(limit).unwrap_or(0));
    let mut finished = Vec::new();
    for wanted in [status::DONE, status::ERROR, status::CANCELLED] {
        finished.extend(admin::list_requests(db, Some(wanted.into()), limit).await?);
    }
    finished.sort_by_key(|row: &RequestSummary| std::cmp::Reverse((row.created_at.0, row.id)));
    finished.truncate(usize::try_from(limit).unwrap_or(0));
    let now = UtcTime::now();
    Ok(format!(
        "genworker requests at {} (Ctrl-C to quit)\n\nIn flight ({}):\n{}\n\nRecently finished ({}):\n{}\n",
        now.0.format("%Y-%m-%d %H:%M:%S UTC"),
        in_flight.len(),
        summary_table(&in_flight, now),
        finished.len(),
        summary_table(&finished, now),
    ))
}
