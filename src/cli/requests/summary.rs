//! The requests list: one line per request (its status as operators read it,
//! its age) as a table or as JSON.

use comfy_table::{Table, presets};
use serde_json::{Value, json};

use super::time;
use crate::db::types::UtcTime;
use crate::queue::admin::RequestSummary;

/// The status as operators read it: queued requests of inactive models are paused.
fn shown_status(row: &RequestSummary) -> String {
    if row.paused() {
        format!("{} (paused)", row.status)
    } else {
        row.status.clone()
    }
}

/// `45s`, `12m`, `3h`, `2d`.
fn age(created: UtcTime, now: UtcTime) -> String {
    let seconds = now.seconds_since(created).max(0.0) as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{}m", seconds / 60),
        3_600..86_400 => format!("{}h", seconds / 3_600),
        _ => format!("{}d", seconds / 86_400),
    }
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".into()
    } else {
        text.into()
    }
}

/// Requests as a table: id, run code, model, status, age, attempt, task id.
pub(crate) fn summary_table(rows: &[RequestSummary], now: UtcTime) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header([
        "ID", "RUN CODE", "MODEL", "STATUS", "AGE", "ATTEMPT", "TASK ID",
    ]);
    for row in rows {
        table.add_row([
            row.id.to_string(),
            row.run_code.clone(),
            row.model.clone(),
            shown_status(row),
            age(row.created_at, now),
            row.attempt.map_or_else(|| "-".into(), |n| n.to_string()),
            or_dash(&row.provider_job_id),
        ]);
    }
    table
}

pub(super) fn summary_json(row: &RequestSummary, now: UtcTime) -> Value {
    json!({
        "id": row.id,
        "run_code": row.run_code,
        "model": row.model,
        "status": row.status,
        "paused": row.paused(),
        "created_at": time(row.created_at),
        "age_seconds": now.seconds_since(row.created_at).max(0.0) as u64,
        "attempt": row.attempt,
        "provider_job_id": row.provider_job_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_shown_in_their_largest_whole_unit() {
        let now = UtcTime::now();
        let ago = |seconds: i64| UtcTime(now.0 - chrono::Duration::seconds(seconds));
        for (seconds, shown) in [
            (0, "0s"),
            (45, "45s"),
            (59, "59s"),
            (60, "1m"),
            (12 * 60 + 59, "12m"),
            (3 * 3_600 + 1, "3h"),
            (86_399, "23h"),
            (2 * 86_400 + 7, "2d"),
            (-30, "0s"),
        ] {
            assert_eq!(age(ago(seconds), now), shown, "{seconds}s");
        }
    }
}
