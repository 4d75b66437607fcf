//! Liveness, not only leases: each daemon registers in `genworker_worker` and
//! holds a lock that a dead process cannot hold (PostgreSQL: a session-level
//! advisory lock on a connection of its own; SQLite: an `flock`ed file beside
//! the database). Every half second, and before the first claim, the others are
//! checked: a worker whose lock is free is gone, and its leases are taken over
//! at once (set to expire now, so the next claim takes them, fenced as before)
//! instead of after `GENWORKER_LEASE_SECONDS`.
//!
//! Which leases: when the dead worker's process is known gone (SQLite; or the
//! same process space on PostgreSQL and no such pid), all of them. When only its
//! session is known gone (another host, or a process still there), the lock must
//! stay free for [`GRACE`], and then only the leases whose provider task id is
//! saved are taken (resuming a saved task is safe whatever the worker still
//! does; one without a saved id may be in the middle of a submit and waits for
//! its lease to run out, so nothing is submitted twice).

mod identity;
mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::db::types::UtcTime;
use crate::db::{BackendKind, Database, DatabaseUrl, DbError};
use crate::queue::QueueStore;
use crate::queue::workers::{Takeover, WorkerRow, pg_others_on};
use postgres::PgHolder;
use sqlite::LockFile;

/// How often the other workers are checked.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);
/// How long a worker whose process may still run must have lost its lock.
pub const GRACE: Duration = Duration::from_secs(1);

/// Why this worker could not register in the worker registry.
#[derive(Debug, thiserror::Error)]
pub enum LivenessError {
    /// Liveness on PostgreSQL was given another database's URL.
    #[error("liveness on PostgreSQL needs a PostgreSQL URL")]
    NotPostgres,
    /// The thread holding the PostgreSQL lock could not be started.
    #[error("cannot start the liveness thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The lock file beside the SQLite database could not be taken.
    #[error("cannot lock {}: {source}", folder.display())]
    Lock {
        /// The folder of the lock files.
        folder: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The worker's row could not be written.
    #[error("cannot register the worker: {0}")]
    Register(#[source] DbError),
}

/// This daemon's registration and the lock behind it.
pub struct Liveness {
    state: watch::Receiver<Option<i64>>,
    holder: Holder,
    me: WorkerRow,
    graced: HashMap<(String, i64), Instant>,
    checks: u32,
}

enum Holder {
    Postgres(PgHolder),
    Sqlite {
        lock: Option<LockFile>,
        folder: PathBuf,
        _state: watch::Sender<Option<i64>>,
    },
}

impl Liveness {
    /// Registers this worker and starts holding its lock.
    pub async fn start(url: &DatabaseUrl, store: &QueueStore) -> Result<Self, LivenessError> {
        let me = WorkerRow {
            id: store.worker().to_owned(),
            host: identity::host(),
            pid: std::process::id() as i32,
            process_space: identity::process_space(),
            lock_key: 0,
        };
        let (sender, state) = watch::channel(None);
        let holder = match url {
            DatabaseUrl::Postgres { .. } => {
                Holder::Postgres(PgHolder::start(url, me.clone(), sender)?)
            }
            DatabaseUrl::Sqlite(path) => {
                let folder = sqlite::folder(path);
                let key = (rand::random::<u64>() >> 1) as i64;
                let lock = LockFile::take(&folder, key).map_err(|source| LivenessError::Lock {
                    folder: folder.clone(),
                    source,
                })?;
                let row = WorkerRow {
                    lock_key: key,
                    ..me.clone()
                };
                store
                    .register_worker(row)
                    .await
                    .map_err(LivenessError::Register)?;
                sender.send_replace(Some(key));
                Holder::Sqlite {
                    lock: Some(lock),
                    folder,
                    _state: sender,
                }
            }
        };
        Ok(Self {
            state,
            holder,
            me,
            graced: HashMap::new(),
            checks: 0,
        })
    }

    /// The key of the lock held now, if this worker is registered and holds it.
    pub fn held(&self) -> Option<i64> {
        *self.state.borrow()
    }

    /// Changes of [`Liveness::held`].
    pub fn changes(&self) -> watch::Receiver<Option<i64>> {
        self.state.clone()
    }

    /// Waits (at most `within`) until the lock is held.
    pub async fn wait_held(&self, within: Duration) -> bool {
        let mut state = self.state.clone();
        tokio::time::timeout(within, state.wait_for(Option::is_some))
            .await
            .is_ok_and(|held| held.is_ok())
    }

    /// Takes over the leases of the workers found dead; true when it took any
    /// (a claim should follow at once). A failure is logged.
    pub async fn check(&mut self, store: &QueueStore) -> bool {
        match self.take_over_dead(store).await {
            Ok(taken) => taken > 0,
            Err(error) => {
                tracing::warn!(%error, "cannot check the other workers");
                false
            }
        }
    }

    /// Takes over the leases of every worker found gone; how many. On SQLite
    /// every tenth check also records this worker's beat (on PostgreSQL its
    /// own session beats).
    async fn take_over_dead(&mut self, store: &QueueStore) -> Result<usize, DbError> {
        self.checks = self.checks.wrapping_add(1);
        if let (Holder::Sqlite { .. }, Some(key)) = (&self.holder, self.held())
            && self.checks.is_multiple_of(10)
            && !store.beat_worker(key, UtcTime::now()).await?
        {
            tracing::warn!("this worker's registry row is gone; registering it again");
            store
                .register_worker(WorkerRow {
                    lock_key: key,
                    ..self.me.clone()
                })
                .await?;
        }
        let mut taken = 0;
        for (dead, takeover) in self.dead(store).await? {
            let Some(leases) = store.take_over(dead.clone(), takeover).await? else {
                continue;
            };
            tracing::info!(
                dead_worker = %dead.id,
                dead_host = %dead.host,
                dead_pid = dead.pid,
                leases,
                all = takeover == Takeover::All,
                "took over a dead worker's leases"
            );
            crate::metrics::taken_over(leases);
            taken += leases;
        }
        Ok(taken)
    }

    /// The workers whose lock is free, and which of their leases to take.
    async fn dead(&mut self, store: &QueueStore) -> Result<Vec<(WorkerRow, Takeover)>, DbError> {
        match &self.holder {
            Holder::Sqlite { folder, .. } => {
                let others = store.other_workers().await?;
                Ok(others
                    .into_iter()
                    .filter(|other| sqlite::is_gone(folder, other.lock_key))
                    .map(|other| (other, Takeover::All))
                    .collect())
            }
            Holder::Postgres(_) => {
                let others = pg_others_on(store.database(), &self.me.id).await?;
                let now = Instant::now();
                let mut dead = Vec::new();
                let mut still_graced = HashMap::new();
                for other in others {
                    if !other.lock_free {
                        continue;
                    }
                    let row = other.row();
                    let same_space =
                        !row.process_space.is_empty() && row.process_space == self.me.process_space;
                    if same_space && !identity::process_exists(row.pid) {
                        dead.push((row, Takeover::All));
                        continue;
                    }
                    let key = (row.id.clone(), row.lock_key);
                    let since = self.graced.get(&key).copied().unwrap_or(now);
                    if now.duration_since(since) >= GRACE {
                        dead.push((row, Takeover::Saved));
                    } else {
                        still_graced.insert(key, since);
                    }
                }
                self.graced = still_graced;
                Ok(dead)
            }
        }
    }

    /// Leaves the registry and lets the lock go (a clean stop).
    pub async fn stop(self, store: &QueueStore) {
        match self.holder {
            Holder::Postgres(holder) => holder.stop().await,
            Holder::Sqlite { mut lock, .. } => {
                let held = *self.state.borrow();
                if let Some(key) = held
                    && let Err(error) = store.unregister_worker(key).await
                {
                    tracing::warn!(%error, "cannot leave the worker registry");
                }
                if let Some(lock) = lock.take() {
                    lock.remove();
                }
            }
        }
    }
}

/// Whether a database has a registry this process can use (an in-memory
/// SQLite database has no folder for lock files).
pub fn supported(db: &Database, url: &DatabaseUrl) -> bool {
    match (db.kind(), url) {
        (BackendKind::Postgres, DatabaseUrl::Postgres { .. }) => true,
        (BackendKind::Sqlite, DatabaseUrl::Sqlite(path)) => {
            let path = path.to_string_lossy();
            !path.contains(":memory:") && !path.starts_with("file:")
        }
        _ => false,
    }
}
