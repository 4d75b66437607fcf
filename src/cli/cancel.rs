//! `genworker requests cancel`: the request cancelled as the bot's
//! `cancel_generation` cancels it, what became of its charge, and the user told.

use super::CliError;
use crate::catalog::money_text;
use crate::db::Database;
use crate::db::live::Tables;
use crate::i18n::Language;
use crate::queue::RefundOutcome;
use crate::queue::admin::{self, CANCEL_REASON, Cancelled};
use crate::settings::Settings;
use crate::telegram::TelegramClient;

/// Cancels request `id`, giving its charge back and telling its user as asked.
pub async fn run(
    settings: &Settings,
    db: &Database,
    tables: &std::sync::Arc<Tables>,
    id: i64,
    (refund, notify): (bool, bool),
) -> Result<(), CliError> {
    let done = admin::cancel(db, tables, id, refund).await?;
    println!(
        "cancelled request {} (was {})",
        done.id, done.previous_status
    );
    match &done.refund {
        Some(RefundOutcome::Refunded {
            transaction_id,
            amount,
        }) => println!(
            "refunded {} (transaction {transaction_id})",
            money_text(amount)
        ),
        Some(RefundOutcome::AlreadyRefunded) => {
            println!("already refunded once: nothing given back again")
        }
        Some(RefundOutcome::NoCharge) => println!("no charge: nothing to give back"),
        Some(RefundOutcome::InvalidCharge(reason)) => println!("nothing given back: {reason}"),
        None => println!("nothing given back (--no-refund)"),
    }
    if notify {
        tell_cancelled(settings, tables, &done).await;
    }
    Ok(())
}

/// Tells the user their request was cancelled, in the words the bot uses for a
/// request that ends without a video, when Telegram is configured.
async fn tell_cancelled(settings: &Settings, tables: &Tables, done: &Cancelled) {
    if done.chat_id == 0 {
        println!("nobody to tell: the request has no chat");
        return;
    }
    let client = match TelegramClient::from_settings(&settings.telegram) {
        Ok(Some(client)) => client,
        Ok(None) => {
            println!("the user was not told: TELEGRAM_BOT_TOKEN is not set");
            return;
        }
        Err(error) => {
            println!("the user was not told: {error}");
            return;
        }
    };
    let reason = match done.language {
        Language::Russian => CANCEL_REASON,
        Language::English => "Generation cancelled",
    };
    let style = settings.telegram.message_style.resolve(tables);
    let message = style.failure(
        done.language,
        reason,
        settings.telegram.mini_app_url.as_deref(),
    );
    match client.send_text(done.chat_id, &message).await {
        Ok(()) => println!("the user was told (chat {})", done.chat_id),
        Err(error) => println!("the user was not told: {error}"),
    }
}
