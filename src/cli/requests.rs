//! `genworker requests …`: look at the queue and move a request by hand.

mod details;
pub(super) mod summary;

use clap::{Subcommand, ValueEnum};
use serde_json::Value;

use std::sync::Arc;
use std::time::Duration;

use super::CliError;
use super::cancel;
use super::output::{outln, print_json};
use super::values::{interval_seconds, row_count};
use super::watch::{WatchOptions, watch};
use crate::db::Database;
use crate::db::live::Tables;
use crate::db::types::UtcTime;
use crate::queue::admin;
use crate::queue::status;
use crate::settings::LoadedSettings;
use details::{details_json, print_details};
use summary::{summary_json, summary_table};

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

/// An instant as every JSON output shows it (RFC 3339).
fn time(at: UtcTime) -> String {
    at.0.to_rfc3339()
}
