//! `genworker requests cancel`: the request cancelled as the bot's
//! `cancel_generation` cancels it, what became of its charge, and the user told.

use super::CliError;
use super::output::outln;
use crate::catalog::money_text;
use crate::db::Database;
use crate::db::live::Tables;
use crate::i18n::Language;
use crate::queue::RefundOutcome;
use crate::queue::admin::{self, CANCEL_REASON, Cancelled};
use crate::settings::LoadedSettings;
use crate::telegram::TelegramClient;

/// Cancels request `id`, giving its charge back and telling its user as asked.
/// Everything is done before anything is printed, so a closed output cannot
/// leave the user untold.
pub async fn run(
    settings: &LoadedSettings,
    db: &Database,
    tables: &std::sync::Arc<Tables>,
    id: i64,
    (refund, notify): (bool, bool),
) -> Result<(), CliError> {
    let done = admin::cancel(db, tables, id, refund).await?;
    let refunded = match &done.refund {
        Some(RefundOutcome::Refunded {
            transaction_id,
            amount,
        }) => format!(
            "refunded {} (transaction {transaction_id})",
            money_text(amount)
        ),
        Some(RefundOutcome::AlreadyRefunded) => {
            "already refunded once: nothing given back again".into()
        }
        Some(RefundOutcome::NoCharge) => "no charge: nothing to give back".into(),
        Some(RefundOutcome::InvalidCharge(reason)) => format!("nothing given back: {reason}"),
        None => "nothing given back (--no-refund)".into(),
    };
    let told = if notify {
        Some(tell_cancelled(settings, tables, &done).await)
    } else {
        None
    };
    outln!(
        "cancelled request {} (was {})",
        done.id,
        done.previous_status
    )?;
    outln!("{refunded}")?;
    if let Some(told) = told {
        outln!("{told}")?;
    }
    Ok(())
}

/// Tells the user their request was cancelled, in the words the bot uses for a
/// request that ends without a video, when Telegram is configured; says what
/// became of it.
async fn tell_cancelled(settings: &LoadedSettings, tables: &Tables, done: &Cancelled) -> String {
    if done.chat_id == 0 {
        return "nobody to tell: the request has no chat".into();
    }
    // Checked before the cancel (`cli::dispatch`), so this is no news.
    let telegram = match settings.telegram() {
        Ok(telegram) => telegram,
        Err(error) => return format!("the user was not told: {error}"),
    };
    let client = match TelegramClient::from_settings(telegram) {
        Ok(Some(client)) => client,
        Ok(None) => return "the user was not told: TELEGRAM_BOT_TOKEN is not set".into(),
        Err(error) => return format!("the user was not told: {error}"),
    };
    let reason = match done.language {
        Language::Russian => CANCEL_REASON,
        Language::English => "Generation cancelled",
    };
    let style = telegram.message_style.resolve(tables);
    let message = style.failure(done.language, reason, telegram.mini_app_url.as_deref());
    match client.send_text(done.chat_id, &message).await {
        Ok(()) => format!("the user was told (chat {})", done.chat_id),
        Err(error) => format!("the user was not told: {error}"),
    }
}
