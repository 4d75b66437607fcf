//! The daemon end to end on real SQLite and PostgreSQL, with the simulator
//! playing Kling and Telegram, or in-process with the instant provider and no
//! HTTP at all ([`until_idle`]).

mod bad_input;
mod batch;
mod callbacks;
mod cancel;
mod circuit;
mod crash;
mod faults;
mod health;
mod instant;
mod language;
mod latest;
mod logs;
mod outcomes;
mod process;
mod progress;
mod replicas;
mod requeue;
mod rows;
mod takeover;
mod until_idle;
mod useapi;
mod useapi_media;
mod veo;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use genworker::daemon::Daemon;
use genworker::db::Database;
use genworker::db::live::Tables;
use genworker::provider::ProviderRegistry;
use genworker::queue::admin::{Enqueued, NewRequest, enqueue};
use genworker::queue::{GenRequest, QueueStore};
use genworker::settings::Settings;
use genworker::simulator::{Simulator, SimulatorConfig};
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::support::TestDb;

pub const TOKEN: &str = "4242:harness-bot-token";

/// Owned settings as the `(&str, &str)` pairs [`Harness::start`] takes.
pub fn pairs<'a>(settings: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    settings
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect()
}

/// A migrated database, a simulator, and settings pointing at both.
pub struct Harness {
    pub db: TestDb,
    pub pool: Database,
    pub tables: Arc<Tables>,
    pub sim: Sim,
    env: HashMap<String, String>,
}

/// The harness's simulator, reached through `Deref`; a harness built by
/// [`Harness::instant`] has none, and reaching it fails the test.
pub struct Sim(Option<Simulator>);

impl Deref for Sim {
    type Target = Simulator;

    fn deref(&self) -> &Simulator {
        self.0
            .as_ref()
            .expect("this harness has no simulator (built by Harness::instant)")
    }
}

/// A daemon running in the background until stopped.
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

impl Running {
    /// Signals shutdown and waits for the daemon to exit.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(30), &mut self.handle)
            .await
            .expect("daemon exits after shutdown")
            .expect("daemon task");
    }

    /// Kills the daemon without any shutdown work (a crash).
    pub fn crash(self) {
        self.handle.abort();
    }
}

impl Harness {
    /// A harness whose Kling and Telegram are a fresh simulator.
    pub async fn new(db: TestDb, extra: &[(&str, &str)]) -> Self {
        let sim = Simulator::start(SimulatorConfig::new("kling-key", "kling-secret", TOKEN))
            .await
            .unwrap();
        Self::build(db, Some(sim), extra).await
    }

    /// Migrates `db` and builds the settings: Kling and Telegram pointed at
    /// `sim`, or (without one) no Telegram and no Kling address at all.
    async fn build(db: TestDb, sim: Option<Simulator>, extra: &[(&str, &str)]) -> Self {
        let media = db.dir.path().join("media").display().to_string();
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", db.url().to_owned()),
            ("KLING_API_KEY", "kling-key".into()),
            ("KLING_POLL_INTERVAL", "0.02".into()),
            ("KLING_ALLOW_PRIVATE_URLS", "true".into()),
            ("MEDIA_ROOT", media),
            ("GENWORKER_POLL_INTERVAL", "0.05".into()),
            ("GENWORKER_RETRY_BASE", "0.05".into()),
            ("GENWORKER_LEASE_SECONDS", "3".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(sim) = &sim {
            let base = sim.base_url();
            env.insert("KLING_API_BASE_URL".into(), base.clone());
            env.insert("TELEGRAM_BOT_TOKEN".into(), TOKEN.into());
            env.insert("TELEGRAM_API_BASE_URL".into(), base);
        }
        for (key, value) in extra {
            env.insert(key.to_string(), value.to_string());
        }
        // Migrated and checked as `migrate` and `run` do, with the test's
        // GENWORKER_COLUMN_DEFAULTS.
        let defaults = Settings::from_sources(None, env.clone())
            .unwrap()
            .column_defaults;
        let pool = db.migrated_with(&defaults).await;
        let tables = Arc::new(
            Tables::read(&pool, &defaults, &genworker::db::live::needs::INSERTED)
                .await
                .unwrap(),
        );
        Self {
            db,
            pool,
            tables,
            sim: Sim(sim),
            env,
        }
    }

    pub fn settings(&self, overrides: &[(&str, &str)]) -> Settings {
        let mut env = self.env.clone();
        for (key, value) in overrides {
            env.insert(key.to_string(), value.to_string());
        }
        Settings::from_sources(None, env).unwrap()
    }

    /// Runs a daemon named `worker` until every one of `ids` is final (within
    /// `within`), then stops it.
    pub async fn run_to_end(
        &self,
        worker: &str,
        overrides: &[(&str, &str)],
        ids: &[i64],
        within: Duration,
    ) {
        let daemon = self.start(worker, overrides);
        self.wait_final(ids, within).await;
        daemon.shutdown().await;
    }

    /// Starts a daemon named `worker`.
    pub fn start(&self, worker: &str, overrides: &[(&str, &str)]) -> Running {
        self.start_with(worker, overrides, |_| {})
    }

    /// Starts a daemon named `worker` whose registry `change` adjusts (a test
    /// provider wrapping or replacing the configured ones).
    pub fn start_with(
        &self,
        worker: &str,
        overrides: &[(&str, &str)],
        change: impl FnOnce(&mut ProviderRegistry),
    ) -> Running {
        let mut all = vec![("GENWORKER_WORKER_ID", worker)];
        all.extend_from_slice(overrides);
        let settings = self.settings(&all);
        let mut registry = ProviderRegistry::from_settings(&settings);
        change(&mut registry);
        let daemon =
            Daemon::new(&settings, self.pool.clone(), self.tables.clone(), registry).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            daemon
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Running {
            stop: Some(stop),
            handle,
        }
    }

    /// Inserts a request of the Kling model as the bot does, charged to user
    /// `chat_id` when given.
    pub async fn enqueue(
        &self,
        prompt: &str,
        kind: &str,
        params: Value,
        user: Option<i64>,
    ) -> Enqueued {
        self.enqueue_for(self.db.kling_slug(), prompt, kind, params, user)
            .await
    }

    /// As [`Harness::enqueue`], for the model `slug`.
    pub async fn enqueue_for(
        &self,
        slug: &str,
        prompt: &str,
        kind: &str,
        params: Value,
        user: Option<i64>,
    ) -> Enqueued {
        let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
        let image = params
            .get("input_image_file_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut params = params;
        params.remove("input_image_file_id");
        enqueue(
            &self.pool,
            &self.tables,
            NewRequest {
                model_slug: slug.into(),
                prompt: prompt.into(),
                kind: kind.into(),
                image,
                chat_id: None,
                user_chat_id: user,
                params,
            },
        )
        .await
        .unwrap()
    }

    pub async fn request(&self, id: i64) -> GenRequest {
        self.store("reader").request(id).await.unwrap().unwrap()
    }

    /// A queue store acting as `worker`.
    pub fn store(&self, worker: &str) -> QueueStore {
        QueueStore::new(self.pool.clone(), self.tables.clone(), worker)
    }

    /// Waits until every id has one of the final statuses (done, error, cancelled).
    pub async fn wait_final(&self, ids: &[i64], within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let mut pending = Vec::new();
            for id in ids {
                let request = self.request(*id).await;
                if !matches!(request.status.as_str(), "done" | "error" | "cancelled") {
                    pending.push((*id, request.status));
                }
            }
            if pending.is_empty() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still not final: {pending:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a condition on one request holds.
    pub async fn wait_for(
        &self,
        id: i64,
        within: Duration,
        condition: impl Fn(&GenRequest) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if condition(&self.request(id).await) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "condition never held for request {id}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// As after a crash between writing the outcomes of `ids` and telling their
    /// users: marks them undelivered with expired leases, then runs worker
    /// `worker` until the simulated Telegram holds `messages` messages in all.
    pub async fn retell(&self, worker: &str, ids: &[i64], messages: usize) {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        self.sql(&format!(
            "UPDATE genworker_lease SET delivered = false, \
             lease_expires_at = '2000-01-01 00:00:00.000000' WHERE request_id IN ({})",
            ids.join(", ")
        ));
        let daemon = self.start(worker, &[]);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.sim.telegram_messages().len() < messages {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {messages} messages sent",
                self.sim.telegram_messages().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        daemon.shutdown().await;
    }

    /// Runs the genworker binary with this harness's settings.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        crate::support::genworker_cli(self.db.dir.path(), &env, args)
    }

    /// Drops this harness's PostgreSQL database under whatever is connected to it
    /// (`DROP DATABASE … WITH (FORCE)`): the database gone, as an outage leaves it.
    pub fn drop_postgres_database(&self) {
        let name = self.db.url().rsplit('/').next().unwrap().to_owned();
        let mut admin = <diesel::PgConnection as diesel::Connection>::establish(
            &crate::support::postgres_admin_url(),
        )
        .unwrap();
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)")),
            &mut admin,
        )
        .unwrap();
    }

    /// Runs one statement outside genworker.
    pub fn sql(&self, sql: &str) {
        crate::contract::execute_sql(&self.db, sql);
    }
}
