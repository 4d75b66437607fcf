//! `genworker requests watch`: a live view of requests in flight (processing),
//! queued and recently finished, refreshed in place on a terminal; printed once
//! when the output is piped (unless `--follow`), so it also works in scripts and
//! logs. Each section lists at most `--limit` rows and its header counts them all.

use std::io::IsTerminal;
use std::time::Duration;

use super::CliError;
use super::output::write_flushed;
use super::requests::summary::summary_table;
use crate::db::Database;
use crate::db::types::UtcTime;
use crate::queue::admin;
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
        return write_flushed(&frame(db, options.limit).await?);
    }
    let stop = super::shutdown_signal();
    tokio::pin!(stop);
    loop {
        let text = frame(db, options.limit).await?;
        if terminal {
            write_flushed(&format!("{CLEAR}{text}"))?;
        } else {
            write_flushed(&format!("{text}\n"))?;
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(options.every) => {}
        }
    }
}

/// The sections, each with the statuses it shows.
const SECTIONS: [(&str, &[&str]); 3] = [
    ("In flight", &[status::PROCESSING]),
    ("Queued", &[status::QUEUED]),
    (
        "Recently finished",
        &[status::DONE, status::ERROR, status::CANCELLED],
    ),
];

/// One screen: a header, then each section's newest `limit` requests.
async fn frame(db: &Database, limit: i64) -> Result<String, CliError> {
    let now = UtcTime::now();
    let mut text = format!(
        "genworker requests at {} (Ctrl-C to quit)\n",
        now.0.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for (title, statuses) in SECTIONS {
        let rows = admin::list_requests(db, statuses, limit).await?;
        let total = admin::count_requests(db, statuses).await?;
        text.push_str(&format!(
            "\n{}:\n{}\n",
            heading(title, total, rows.len()),
            summary_table(&rows, now)
        ));
    }
    Ok(text)
}

/// `In flight (4)`, or `In flight (4, showing 3)` when the limit cut the list.
fn heading(title: &str, total: i64, shown: usize) -> String {
    if i64::try_from(shown).is_ok_and(|shown| shown < total) {
        format!("{title} ({total}, showing {shown})")
    } else {
        format!("{title} ({total})")
    }
}

#[cfg(test)]
mod tests {
    use super::heading;

    #[test]
    fn headings_count_every_request_and_say_when_the_list_is_cut() {
        assert_eq!(heading("In flight", 4, 3), "In flight (4, showing 3)");
        assert_eq!(heading("In flight", 3, 3), "In flight (3)");
        assert_eq!(heading("Queued", 0, 0), "Queued (0)");
    }
}
