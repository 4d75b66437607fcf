//! `genworker requests …`: look at the queue and move a request by hand.

use clap::{Subcommand, ValueEnum};
use comfy_table::{Table, presets};
use serde_json::{Value, json};

use std::sync::Arc;
use std::time::Duration;

use super::CliError;
use super::cancel;
use super::output::outln;
use super::values::{interval_seconds, row_count};
use super::watch::{WatchOptions, watch};
use crate::catalog::money_text;
use crate::db::Database;
use crate::db::live::Tables;
use crate::db::types::UtcTime;
use crate::queue::admin::{self, LeaseInfo, RefundInfo, RequestDetails, RequestSummary};
use crate::queue::status;
use crate::settings::LoadedSettings;

/// Queue operations.
#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// List requests, newest first.
    List {
        /// Only requests in this status.
        #[arg(long, value_enum)]
        status: Option<Status>,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = row_count, allow_negative_numbers = true)]
        limit: u32,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show every column of one request, its lease and its refund.
    Show {
        /// The request's id.
        id: i64,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Put a failed request (status error) back in the queue; its provider task id is
    /// kept, so the daemon resumes that task instead of paying for a new one (unless
    /// the provider reported that task failed). Setting the status to queued in the
    /// Django admin or by SQL does the same.
    Requeue {
        /// The request's id.
        id: i64,
    },
    /// Cancel a queued or processing request as the bot cancels one: its charge is
    /// refunded (once ever) and the user told.
    Cancel {
        /// The request's id.
        id: i64,
        /// Give nothing back.
        #[arg(long)]
        no_refund: bool,
        /// Send the user nothing.
        #[arg(long)]
        no_notify: bool,
    },
    /// A live view of requests in flight (processing), queued and recently finished
    /// (state, provider task id, age, attempt), refreshed until Ctrl-C; printed once
    /// when piped.
    Watch {
        /// Seconds between refreshes (more than 0, at most 86400).
        #[arg(long, default_value_t = 1.0, value_parser = interval_seconds,
              allow_negative_numbers = true)]
        every: f64,
        /// Rows per section at most (the headers count them all).
        #[arg(long, default_value_t = 20, value_parser = row_count, allow_negative_numbers = true)]
        limit: u32,
        /// Keep refreshing even when the output is not a terminal.
        #[arg(long)]
        follow: bool,
    },
}

/// A request status, as the bot writes it into `botapp_genrequest.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    /// Waiting to be claimed.
    Queued,
    /// Claimed by a worker.
    Processing,
    /// Finished with a video.
    Done,
    /// Finished with an error.
    Error,
    /// Cancelled by the bot or an operator.
    Cancelled,
}

impl Status {
    /// The column's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => status::QUEUED,
            Self::Processing => status::PROCESSING,
            Self::Done => status::DONE,
            Self::Error => status::ERROR,
            Self::Cancelled => status::CANCELLED,
        }
    }
}

/// Runs one queue command.
pub async fn run(
    settings: &LoadedSettings,
    db: &Database,
    tables: &Arc<Tables>,
    command: RequestsCommand,
) -> Result<(), CliError> {
    match command {
        RequestsCommand::List {
            status,
            limit,
            json,
        } => {
            let wanted: Vec<&str> = status.iter().map(|status| status.as_str()).collect();
            let rows = admin::list_requests(db, &wanted, i64::from(limit)).await?;
            let now = UtcTime::now();
            if json {
                let rows = rows.iter().map(|row| summary_json(row, now)).collect();
                print_json(&Value::Array(rows))
            } else {
                outln!("{}", summary_table(&rows, now))
            }
        }
        RequestsCommand::Show { id, json } => {
            let details = admin::request_details(db, id).await?;
            let later = tables.other_fields(db, "botapp_genrequest", id).await?;
            if json {
                print_json(&details_json(&details, &later))
            } else {
                print_details(&details, &later)
            }
        }
        RequestsCommand::Requeue { id } => {
            let done = admin::requeue(db, id).await?;
            outln!(
                "requeued request {}: status queued; its attempt number goes on",
                done.id
            )?;
            if done.provider_job_id.is_empty() {
                outln!("it has no provider task id: the daemon will submit a new task")?;
            } else if done.task_failed {
                outln!(
                    "provider task id {} failed at the provider: the daemon submits a new task",
                    done.provider_job_id
                )?;
            } else {
                outln!(
                    "provider task id {} kept: the daemon resumes that task instead of \
                     submitting (and paying for) a new one",
                    done.provider_job_id
                )?;
            }
            if done.refunded {
                outln!(
                    "its refund stands: a request is refunded at most once, \
                     so a second failure gives nothing back"
                )?;
            }
            Ok(())
        }
        RequestsCommand::Watch {
            every,
            limit,
            follow,
        } => {
            let options = WatchOptions {
                every: Duration::from_secs_f64(every),
                limit: i64::from(limit),
                follow,
            };
            watch(db, options).await
        }
        RequestsCommand::Cancel {
            id,
            no_refund,
            no_notify,
        } => cancel::run(settings, db, tables, id, (!no_refund, !no_notify)).await,
    }
}

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
pub(super) fn summary_table(rows: &[RequestSummary], now: UtcTime) -> Table {
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

fn summary_json(row: &RequestSummary, now: UtcTime) -> Value {
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

fn time(at: UtcTime) -> String {
    at.0.to_rfc3339()
}

/// Every column of the request by its column name, then the lease and the refund.
/// Every column (`later`: a later release's columns as their text), the lease and the refund.
fn details_json(details: &RequestDetails, later: &[(String, Option<String>)]) -> Value {
    let r = &details.request;
    let mut fields = json!({
        "id": r.id,
        "run_code": r.run_code,
        "chat_id": r.chat_id,
        "prompt": r.prompt,
        "quantity": r.quantity,
        "model": r.model,
        "status": r.status,
        "result_urls": r.result_urls.0,
        "created_at": time(r.created_at),
        "completed_at": r.completed_at.map(time),
        "cost": money_text(&r.cost),
        "duration": r.duration,
        "error_message": r.error_message,
        "file_sizes": r.file_sizes.0,
        "generation_params": r.generation_params.0,
        "generation_type": r.generation_type,
        "input_images": r.input_images.0,
        "processing_time": r.processing_time,
        "started_at": r.started_at.map(time),
        "user_id": r.user_id,
        "video_resolution": r.video_resolution,
        "ai_model_id": r.ai_model_id,
        "transaction_id": r.transaction_id,
        "aspect_ratio": r.aspect_ratio,
        "provider_job_id": r.provider_job_id,
        "provider_metadata": r.provider_metadata.0,
        "source_media": r.source_media.0,
        "parent_request_id": r.parent_request_id,
    });
    if let Value::Object(object) = &mut fields {
        for (name, value) in later {
            object.insert(
                name.clone(),
                value.clone().map_or(Value::Null, Value::String),
            );
        }
        let paused =
            r.status == crate::queue::status::QUEUED && details.model_active == Some(false);
        object.insert("paused".into(), Value::Bool(paused));
        object.insert(
            "lease".into(),
            details.lease.as_ref().map_or(Value::Null, lease_json),
        );
        object.insert(
            "refund".into(),
            details.refund.as_ref().map_or(Value::Null, refund_json),
        );
    }
    fields
}

fn lease_json(lease: &LeaseInfo) -> Value {
    json!({
        "worker_id": lease.worker_id,
        "attempt": lease.attempt,
        "failures": lease.failures,
        "lease_expires_at": time(lease.lease_expires_at),
        "last_error": lease.last_error,
        "delivered": lease.delivered,
    })
}

fn refund_json(refund: &RefundInfo) -> Value {
    json!({
        "transaction_id": refund.transaction_id,
        "created_at": time(refund.created_at),
    })
}

/// `key  value` lines; the lease's fields as `lease.<field>`.
fn print_details(
    details: &RequestDetails,
    later: &[(String, Option<String>)],
) -> Result<(), CliError> {
    let Value::Object(mut fields) = details_json(details, later) else {
        return Ok(());
    };
    let mut lines: Vec<(String, String)> = Vec::new();
    let lease = fields.remove("lease");
    fields.remove("refund");
    for (key, value) in fields {
        lines.push((key, plain(&value)));
    }
    match lease {
        Some(Value::Object(lease)) => {
            for (key, value) in lease {
                lines.push((format!("lease.{key}"), plain(&value)));
            }
        }
        _ => lines.push(("lease".into(), "none (never claimed)".into())),
    }
    let refunded = match &details.refund {
        Some(found) => format!(
            "yes: transaction {} at {}",
            found.transaction_id,
            time(found.created_at)
        ),
        None => "no".into(),
    };
    lines.push(("refunded".into(), refunded));
    let width = lines.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, value) in lines {
        outln!("{key:<width$}  {value}")?;
    }
    Ok(())
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Prints pretty JSON on standard output.
pub(super) fn print_json(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Output(e.to_string()))?;
    outln!("{text}")
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
