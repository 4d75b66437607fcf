//! The daemon (`genworker run`): claims queued requests into free slots, runs
//! each through its provider ([`job`]), keeps leases alive with one batched
//! heartbeat, wakes on PostgreSQL NOTIFY or polls, and on shutdown stops claiming,
//! gives jobs a grace period, then hands what still runs back to the queue.

mod availability;
mod callbacks;
mod circuit;
mod deliver;
mod end;
mod error;
mod failure;
mod health;
mod heartbeat;
mod http;
mod idle;
mod image;
mod job;
mod listener;
mod liveness;
mod notify;
mod outcome;
mod plan;
mod scrape;
mod slots;
mod supervise;
mod task_ids;
mod writes;

use std::future::Future;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use availability::Availability;
pub use end::{FailureReason, JobEnd};
pub use error::DaemonError;
use job::JobContext;
use liveness::Liveness;
use notify::Notifier;
use slots::{Slots, Stop};
use supervise::{Watch, supervise};
use writes::Writers;

use crate::db::live::Tables;
use crate::db::{BackendKind, Database, DatabaseUrl};
use crate::provider::ProviderRegistry;
use crate::queue::QueueStore;
use crate::settings::Settings;
use crate::telegram::TelegramClient;

/// Rows claimed in one statement at most.
const MAX_CLAIM_BATCH: usize = 1000;

/// Longest wait for more free slots before claiming under load.
const CLAIM_GATHER: Duration = Duration::from_millis(10);

/// A configured daemon, ready to run.
pub struct Daemon {
    ctx: Arc<JobContext>,
    slots: Slots,
    availability: Availability,
    poll_interval: Duration,
    lease: Duration,
    grace: Duration,
    listen_url: Option<String>,
    /// Where the worker registry is, when dead workers' leases are taken over.
    takeover: Option<DatabaseUrl>,
    /// Started by `run`.
    writers: Option<Writers>,
    http_addr: Option<std::net::SocketAddr>,
}

impl Daemon {
    /// Builds the daemon for `db`, whose botapp tables are `tables` (checked), with
    /// the providers of `registry`.
    pub fn new(
        settings: &Settings,
        db: Database,
        tables: Arc<Tables>,
        registry: ProviderRegistry,
    ) -> Result<Self, DaemonError> {
        let daemon = &settings.daemon;
        let style = settings.telegram.message_style.resolve(&tables);
        let notifier = TelegramClient::from_settings(&settings.telegram)
            .map_err(DaemonError::Telegram)?
            .map(|client| {
                Notifier::new(
                    client,
                    daemon.media_root.clone(),
                    style,
                    settings.telegram.mini_app_url.clone(),
                )
            });
        let default_poll = match db.kind() {
            BackendKind::Postgres => Duration::from_secs(2),
            BackendKind::Sqlite => Duration::from_millis(500),
        };
        let listen_url = settings
            .database_url
            .postgres_connection_string()
            .map(str::to_owned);
        let limits = registry
            .names()
            .into_iter()
            .filter_map(|name| {
                let runner = registry.get(name)?;
                Some((name, runner.provider().limits().max_concurrent as usize))
            })
            .collect();
        let results = crate::storage::from_settings(settings)?;
        let (writes, writers) = writes::batched_writes();
        let takeover = (daemon.takeover && liveness::supported(&db, &settings.database_url))
            .then(|| settings.database_url.clone());
        Ok(Self {
            takeover,
            writers: Some(writers),
            http_addr: daemon.http_addr,
            slots: Slots::new(daemon.concurrency as usize, limits),
            availability: Availability::new(&registry),
            poll_interval: daemon.poll_interval.unwrap_or(default_poll),
            lease: daemon.lease,
            grace: daemon.shutdown_grace,
            listen_url,
            ctx: Arc::new(JobContext {
                widths: plan::Widths::of(&tables),
                store: QueueStore::new(db, tables, daemon.worker_id.clone()),
                writes,
                registry,
                notifier,
                results,
                settings: daemon.clone(),
            }),
        })
    }

    /// Runs until `shutdown` completes, then drains and exits.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
        self.run_until(shutdown, false).await
    }

    /// Runs until no job runs and nothing its providers could claim is queued
    /// (a request waiting out a retry delay counts as queued), then exits: what
    /// tests and benches run instead of watching the database.
    pub async fn run_until_idle(self) -> Result<(), DaemonError> {
        self.run_until(std::future::pending(), true).await
    }

    async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()>,
        until_idle: bool,
    ) -> Result<(), DaemonError> {
        let store = self.ctx.store.clone();
        if let Some(writers) = self.writers.take() {
            writers.spawn(store.clone());
        }
        tracing::info!(
            worker = store.worker(),
            providers = ?self.ctx.registry.names(),
            poll_ms = self.poll_interval.as_millis() as u64,
            "daemon started"
        );
        let wake = Arc::new(Notify::new());
        let background = CancellationToken::new();
        let ticks = Arc::new(health::ClaimTicks::new());
        if let Some(addr) = self.http_addr {
            let recorder = crate::metrics::install()?;
            for provider in self.ctx.registry.names() {
                JobEnd::register(provider);
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| DaemonError::Listen { addr, source })?;
            tracing::info!(%addr, "health and metrics endpoint listening");
            let checks = health::Checks {
                db: store.database().clone(),
                availability: self.availability.clone(),
                ticks: ticks.clone(),
                stale_after: self.poll_interval * 3 + Duration::from_secs(10),
            };
            let scrape = scrape::Scrape {
                db: store.database().clone(),
                availability: self.availability.clone(),
                slots: self.slots.clone(),
                recorder,
            };
            let callbacks = self.callbacks();
            tokio::spawn(http::serve(
                listener,
                checks,
                scrape,
                callbacks,
                background.clone(),
            ));
        }
        if let Some(url) = self.listen_url.clone() {
            let callbacks = self.callbacks();
            let callback: listener::CallbackWake = Arc::new(move |payload: &str| {
                if let (Some(callbacks), Some((provider, task_key))) =
                    (&callbacks, payload.split_once('/'))
                {
                    callbacks.wake_here(provider, task_key);
                }
            });
            tokio::spawn(listener::listen(
                url,
                wake.clone(),
                callback,
                background.clone(),
            ));
        }
        let mut liveness = match &self.takeover {
            Some(url) => Some(self.register(url, &store).await?),
            None => None,
        };
        tokio::spawn(heartbeat::heartbeat(
            store.clone(),
            self.slots.clone(),
            self.lease,
            liveness.as_ref().map(Liveness::changes),
            background.clone(),
        ));
        let tracker = TaskTracker::new();
        if until_idle {
            // A closed tracker's `wait` ends whenever no job runs.
            tracker.close();
        }
        tokio::pin!(shutdown);
        // Before the first claim: a predecessor's leases are taken at once.
        let mut next_check = tokio::time::Instant::now();
        let mut next_poll = next_check;
        let mut claim = true;
        loop {
            let now = tokio::time::Instant::now();
            if let Some(liveness) = liveness.as_mut()
                && now >= next_check
            {
                next_check = now + liveness::CHECK_EVERY;
                claim |= liveness.check(&store).await;
            }
            if now >= next_poll {
                claim = true;
                next_poll = now + self.poll_interval;
            }
            // Unregistered (the lock lost), a claim waits: another worker may
            // be taking this one's leases over.
            let registered = liveness.as_ref().is_none_or(|held| held.held().is_some());
            if claim && registered {
                claim = false;
                ticks.tick();
                if self.claim_round(&tracker, &wake).await {
                    claim = true;
                    continue;
                }
                next_poll = tokio::time::Instant::now() + self.poll_interval;
                if until_idle && tracker.is_empty() && idle::nothing_queued(&self.ctx).await {
                    break;
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tracker.wait(), if until_idle && !tracker.is_empty() => claim = true,
                _ = wake.notified() => {
                    self.gather_slots(&wake).await;
                    claim = true;
                }
                _ = tokio::time::sleep_until(next_poll) => {}
                _ = tokio::time::sleep_until(next_check), if liveness.is_some() => {}
            }
        }
        self.drain(tracker).await;
        background.cancel();
        if let Some(liveness) = liveness {
            liveness.stop(&store).await;
        }
        tracing::info!("daemon stopped");
        Ok(())
    }

    /// What the callback route needs, when callbacks are on.
    fn callbacks(&self) -> Option<callbacks::Callbacks> {
        let keys = self.ctx.settings.callbacks.clone()?;
        Some(callbacks::Callbacks {
            keys,
            ctx: self.ctx.clone(),
        })
    }

    /// Registers this worker in the registry and waits (a few seconds) for its lock.
    async fn register(
        &self,
        url: &DatabaseUrl,
        store: &QueueStore,
    ) -> Result<Liveness, DaemonError> {
        let liveness = Liveness::start(url, store).await?;
        if !liveness.wait_held(Duration::from_secs(10)).await {
            tracing::warn!("not registered in the worker registry yet: not claiming until it is");
        }
        Ok(liveness)
    }

    /// Under load, jobs end one at a time: rather than one claim transaction per
    /// freed slot, wait up to [`CLAIM_GATHER`] for a batch's worth of free slots.
    async fn gather_slots(&self, wake: &Notify) {
        let deadline = tokio::time::Instant::now() + CLAIM_GATHER;
        while !self.slots.worth_claiming() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    /// Claims into every provider's free slots; true when a claim filled them all
    /// (more may be waiting, so claim again at once).
    async fn claim_round(&self, tracker: &TaskTracker, wake: &Arc<Notify>) -> bool {
        let mut filled = false;
        for (provider, free) in self.slots.free() {
            // One statement binds 8 values per claimed row: PostgreSQL takes at most
            // 65,535, SQLite 32,766. A full batch claims again at once.
            let circuits = &self.availability.circuits;
            let free = circuits.claimable(provider, free.min(MAX_CLAIM_BATCH));
            if free == 0 {
                continue;
            }
            let claimed = match self.ctx.store.claim(vec![provider], free, self.lease).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(%error, "claim failed; trying again after the poll interval");
                    return false;
                }
            };
            filled |= claimed.len() == free;
            crate::metrics::claimed(provider, claimed.len());
            if circuits.is_open(provider) {
                circuits.probing(provider, claimed.first().map(|job| job.lease.request_id()));
            }
            for job in claimed {
                let stop = self
                    .slots
                    .start(job.lease.request_id(), job.lease.attempt(), provider);
                tracker.spawn(supervise(
                    self.ctx.clone(),
                    Watch {
                        slots: self.slots.clone(),
                        circuits: circuits.clone(),
                        wake: wake.clone(),
                    },
                    job,
                    provider,
                    stop,
                ));
            }
        }
        filled
    }

    /// Stops claiming; jobs get the grace period, then their leases are handed back.
    async fn drain(&self, tracker: TaskTracker) {
        tracker.close();
        if tracker.is_empty() {
            return;
        }
        tracing::info!(
            jobs = tracker.len(),
            grace_s = self.grace.as_secs_f64(),
            "shutting down: waiting for jobs in flight"
        );
        if tokio::time::timeout(self.grace, tracker.wait())
            .await
            .is_err()
        {
            tracing::info!(
                jobs = tracker.len(),
                "grace period over: handing the rest back to the queue"
            );
            self.slots.stop_all(Stop::Shutdown);
            tracker.wait().await;
        }
    }
}
