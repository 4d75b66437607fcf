//! The daemon in-process with the built-in instant provider, run until nothing
//! it could claim is queued (`Daemon::run_until_idle`): the harness for tests
//! of the queue and the daemon themselves, with no HTTP and no waiting on the
//! database.

use std::time::Duration;

use genworker::daemon::Daemon;
use genworker::provider::instant::InstantProvider;
use genworker::provider::{ProviderRegistry, VideoProvider};

use super::Harness;
use crate::support::TestDb;

impl Harness {
    /// A harness with no simulator: Telegram is not configured (nobody is
    /// told; leases are settled all the same) and no Kling is reachable.
    pub async fn instant(db: TestDb, extra: &[(&str, &str)]) -> Self {
        Self::build(db, None, extra).await
    }

    /// Runs a daemon whose only provider is a plain instant one (serving
    /// `kling`, 8 tasks at a time) until it is idle; fails the test if that
    /// takes over `within`.
    pub async fn run_instant_until_idle(&self, within: Duration) {
        self.run_until_idle("instant", &[], InstantProvider::new("kling", 8), within)
            .await;
    }

    /// Runs a daemon named `worker`, with the settings `overrides` and
    /// `provider` as its only provider (serving `kling`), until it is idle;
    /// fails the test if that takes over `within`.
    pub async fn run_until_idle(
        &self,
        worker: &str,
        overrides: &[(&str, &str)],
        provider: impl VideoProvider + 'static,
        within: Duration,
    ) {
        let mut all = vec![("GENWORKER_WORKER_ID", worker)];
        all.extend_from_slice(overrides);
        let settings = self.settings(&all);
        let mut registry = ProviderRegistry::default();
        registry.add("kling", Ok(provider));
        let daemon =
            Daemon::new(&settings, self.pool.clone(), self.tables.clone(), registry).unwrap();
        tokio::time::timeout(within, daemon.run_until_idle())
            .await
            .expect("the daemon stops once idle")
            .unwrap();
    }
}
