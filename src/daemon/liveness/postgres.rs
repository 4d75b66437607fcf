//! Liveness on PostgreSQL: a connection of its own holding a session-level
//! advisory lock for as long as the process and that session live, and beating
//! through it. When the session fails or the row says another worker took this
//! one for dead, the lock is let go with the session and a new registration
//! (a new key) is made; a dropped holder closes its session without leaving
//! (as a crash would).

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use diesel::ConnectionError;
use diesel::prelude::*;
use diesel::sql_types::Text;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;

use super::LivenessError;
use crate::db::AnyConnection;
use crate::db::DatabaseUrl;
use crate::db::types::UtcTime;
use crate::queue::workers::{self, WorkerRow, pg_lock};

/// Time between beats.
const BEAT: Duration = Duration::from_secs(1);
/// How long a clean stop waits for the session to leave the registry.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// Time before registering again after the session failed (or after a failed
/// attempt): longer than a claimer's [`super::GRACE`] plus its check interval,
/// so that a worker taken for dead is taken over before it comes back, and
/// finds out at its next lease heartbeat which jobs are no longer its own.
const RETRY: Duration = Duration::from_millis(2500);

/// The thread holding this worker's lock; dropping it ends the session.
pub struct PgHolder {
    stop: Sender<()>,
    done: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl PgHolder {
    /// Starts holding; `state` says the key while the lock is held and the row
    /// registered, `None` while it is not.
    pub fn start(
        url: &DatabaseUrl,
        me: WorkerRow,
        state: watch::Sender<Option<i64>>,
    ) -> Result<Self, LivenessError> {
        let target = url
            .postgres_connection_string()
            .ok_or(LivenessError::NotPostgres)?;
        let target = SecretString::from(with_timeouts(target));
        let url = url.clone();
        let (stop, stopped) = channel();
        let (finished, done) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("genworker-liveness".into())
            .spawn(move || {
                hold(&target, &url, me, &state, &stopped);
                state.send_replace(None);
                let _ = finished.send(());
            })
            .map_err(LivenessError::Thread)?;
        Ok(Self {
            stop,
            done: Some(done),
        })
    }

    /// Leaves the registry and lets the lock go (a clean stop); gives up
    /// waiting after [`STOP_WAIT`] (the session then ends with the process).
    pub async fn stop(mut self) {
        let _ = self.stop.send(());
        if let Some(done) = self.done.take()
            && tokio::time::timeout(STOP_WAIT, done).await.is_err()
        {
            tracing::warn!("the liveness session did not end in time; leaving it to the exit");
        }
    }
}

/// Registers and beats until stopped (leaving) or dropped (not leaving).
fn hold(
    target: &SecretString,
    url: &DatabaseUrl,
    template: WorkerRow,
    state: &watch::Sender<Option<i64>>,
    stopped: &Receiver<()>,
) {
    loop {
        let me = WorkerRow {
            lock_key: new_key(),
            ..template.clone()
        };
        match register(target, &me) {
            Ok(mut conn) => {
                state.send_replace(Some(me.lock_key));
                tracing::debug!(lock_key = me.lock_key, "worker registered");
                loop {
                    match stopped.recv_timeout(BEAT) {
                        Ok(()) => {
                            if let Err(error) = workers::unregister(&mut conn, &me.id, me.lock_key)
                            {
                                tracing::warn!(%error, "cannot leave the worker registry");
                            }
                            return;
                        }
                        Err(RecvTimeoutError::Disconnected) => return,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                    match workers::beat(&mut conn, &me.id, me.lock_key, UtcTime::now()) {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(
                                "another worker took this one for dead (or shares its \
                                 GENWORKER_WORKER_ID); registering again"
                            );
                            break;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "liveness session lost; registering again");
                            break;
                        }
                    }
                }
                state.send_replace(None);
            }
            Err(error) => {
                state.send_replace(None);
                tracing::warn!(
                    error = %url.hide_password(&error.to_string()),
                    "cannot register in the worker registry; trying again"
                );
            }
        }
        match stopped.recv_timeout(RETRY) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Why a registration failed (retried by [`hold`]). The driver's words may
/// hold the URL, so they are logged with its password hidden. Both print on
/// one line: libpq's messages end with a newline, which would leave an empty
/// line in the logs.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    /// No session could be opened.
    #[error("cannot connect: {}", crate::db::one_line(&.0.to_string()))]
    Connect(#[from] ConnectionError),
    /// Setting the session up, taking the lock or writing the row failed.
    #[error("{}", crate::db::one_line(&.0.to_string()))]
    Query(#[from] diesel::result::Error),
}

/// A new session holding `me`'s lock, with `me` registered.
fn register(target: &SecretString, me: &WorkerRow) -> Result<AnyConnection, SessionError> {
    let mut conn = PgConnection::establish(target.expose_secret())?;
    // A beat that cannot finish within the statement timeout is a lost session.
    diesel::sql_query("SET statement_timeout = '5s'").execute(&mut conn)?;
    diesel::sql_query("SELECT set_config('application_name', $1, false)")
        .bind::<Text, _>(format!("genworker liveness {}", me.id))
        .execute(&mut conn)?;
    pg_lock(&mut conn, me.lock_key)?;
    let mut conn = AnyConnection::Postgresql(conn);
    workers::register(&mut conn, me, UtcTime::now())?;
    Ok(conn)
}

/// `url` with a connect timeout and TCP keepalives unless it names its own, so
/// that neither a silent server nor a half-open connection holds the liveness
/// thread (a `key=value` connection string is used as it is).
fn with_timeouts(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let given: Vec<String> = parsed
        .query_pairs()
        .map(|(key, _)| key.into_owned())
        .collect();
    let mut pairs = parsed.query_pairs_mut();
    for (key, value) in [
        ("connect_timeout", "5"),
        ("keepalives", "1"),
        ("keepalives_idle", "5"),
        ("keepalives_interval", "2"),
        ("keepalives_count", "2"),
    ] {
        if !given.iter().any(|name| name == key) {
            pairs.append_pair(key, value);
        }
    }
    drop(pairs);
    parsed.into()
}

/// A random non-negative lock key.
fn new_key() -> i64 {
    (rand::random::<u64>() >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_added_unless_given() {
        assert_eq!(
            with_timeouts("postgres://u:p@h:5432/db"),
            "postgres://u:p@h:5432/db?connect_timeout=5&keepalives=1&keepalives_idle=5\
             &keepalives_interval=2&keepalives_count=2"
        );
        assert_eq!(
            with_timeouts("postgres://h/db?connect_timeout=9&keepalives=0"),
            "postgres://h/db?connect_timeout=9&keepalives=0&keepalives_idle=5\
             &keepalives_interval=2&keepalives_count=2"
        );
    }
}
