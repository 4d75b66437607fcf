//! PostgreSQL wake-ups: a dedicated connection LISTENs on `genworker_queue`
//! (NOTIFYed by a trigger when a row becomes queued) and wakes the claim loop,
//! and on `genworker_callback` (a provider's callback that reached another
//! replica: `<provider>/<task key>`) and wakes that task's wait if it runs here.
//! If it cannot connect it says so and retries; polling covers the gap.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

/// The channel the trigger notifies.
pub const CHANNEL: &str = "genworker_queue";
/// The channel a replica that received a callback for a task it does not run notifies.
pub const CALLBACK_CHANNEL: &str = "genworker_callback";

/// Wakes the wait of `<provider>/<task key>` if it runs in this process.
pub type CallbackWake = Arc<dyn Fn(&str) + Send + Sync>;

/// Listens until `stop`, waking `wake` on every queue notification and passing
/// every callback notification to `callback`.
pub async fn listen(
    url: String,
    wake: Arc<Notify>,
    callback: CallbackWake,
    stop: CancellationToken,
) {
    let mut delay = Duration::from_millis(500);
    while !stop.is_cancelled() {
        match listen_once(&url, &wake, &callback, &stop).await {
            Ok(()) if stop.is_cancelled() => return,
            Ok(()) => tracing::warn!("LISTEN connection closed; reconnecting"),
            Err(error) => {
                tracing::warn!(
                    error = %cause(&error),
                    "LISTEN connection lost; polling until it is back"
                );
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// The error with every cause under it, on one line (`db error` alone says
/// nothing; the server's message is in its source). Connection strings never
/// appear in these errors.
fn cause(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    crate::db::one_line(&text)
}

async fn listen_once(
    url: &str,
    wake: &Arc<Notify>,
    callback: &CallbackWake,
    stop: &CancellationToken,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let command = format!("LISTEN {CHANNEL}; LISTEN {CALLBACK_CHANNEL}");
    let subscribe = client.batch_execute(&command);
    tokio::pin!(subscribe);
    // The connection must be driven while the LISTEN command runs.
    loop {
        tokio::select! {
            result = &mut subscribe => { result?; break; }
            message = messages.next() => match message {
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            },
        }
    }
    tracing::debug!("listening for queued requests");
    wake.notify_one();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            message = messages.next() => match message {
                Some(Ok(AsyncMessage::Notification(note))) if note.channel() == CALLBACK_CHANNEL => {
                    callback(note.payload());
                }
                Some(Ok(AsyncMessage::Notification(_))) => wake.notify_one(),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            },
        }
    }
}
