//! `genworker enqueue`: inserts a request the way the bot does, for tests and demos.

use clap::Args;
use serde_json::{Map, Value, json};

use super::CliError;
use super::output::{outln, print_json};
use crate::catalog::parse_default_param;
use std::sync::Arc;

use crate::db::Database;
use crate::db::live::Tables;
use crate::queue::admin::{self, NewRequest};

/// What to enqueue.
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// The model's slug, e.g. kling-v1.
    #[arg(long)]
    model: String,
    /// The prompt, stored as given (not checked).
    #[arg(long)]
    prompt: String,
    /// The generation type.
    #[arg(long = "type", value_name = "TYPE", default_value = "text2video",
          value_parser = ["text2video", "image2video"])]
    kind: String,
    /// A Telegram file id of the input image (generation_params.input_image_file_id
    /// and source_media.telegram_file_id).
    #[arg(long, value_name = "FILE_ID")]
    image: Option<String>,
    /// The chat to notify; default: the user's chat id, else 0.
    #[arg(long, allow_negative_numbers = true)]
    chat_id: Option<i64>,
    /// Charge this bot user (by Telegram chat id; created with a zero balance when
    /// missing) the model's price, as the bot does. The balance may go negative.
    #[arg(long, value_name = "CHAT_ID", allow_negative_numbers = true)]
    user: Option<i64>,
    /// One generation_params key: key=<json>, e.g. duration=5 or resolution='"720p"'.
    #[arg(long = "param", value_name = "KEY=JSON", value_parser = parse_default_param)]
    params: Vec<(String, Value)>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `enqueue`.
pub async fn run(db: &Database, tables: &Arc<Tables>, args: EnqueueArgs) -> Result<(), CliError> {
    let request = NewRequest {
        model_slug: args.model,
        prompt: args.prompt,
        kind: args.kind,
        image: args.image,
        chat_id: args.chat_id,
        user_chat_id: args.user,
        params: args.params.into_iter().collect::<Map<_, _>>(),
    };
    let done = admin::enqueue(db, tables, request).await?;
    if args.json {
        return print_json(&json!({
            "id": done.id,
            "run_code": done.run_code,
            "status": "queued",
            "transaction_id": done.transaction_id,
            "user_id": done.user_id,
            "balance_after": done.balance_after,
        }));
    }
    outln!("enqueued request {} (run_code {})", done.id, done.run_code)?;
    if let (Some(transaction), Some(balance)) = (done.transaction_id, &done.balance_after) {
        outln!("charged: transaction {transaction}, balance now {balance}")?;
    }
    Ok(())
}
