//! The command line: argument definitions and the dispatch to each command.

mod cancel;
mod demo;
pub use demo::DEMO_SECRETS;
mod enqueue;
mod migrate;
mod models;
mod output;
mod requests;
mod run;
mod simulate;
pub use simulate::SimulatorError;
mod values;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::catalog::CatalogError;
use crate::daemon::DaemonError;
use crate::db::live::{SchemaError, Tables};
use crate::db::migrate::{MigrateError, ensure_applied};
use crate::db::{Database, DbError, OpenMode};
use crate::queue::{AdminError, ENQUEUE_INSERTS, REFUND_INSERTS};
use crate::settings::{LoadedSettings, SettingsError};

/// genworker: takes video generation requests off a Django Telegram bot's queue.
#[derive(Debug, Parser)]
#[command(name = "genworker", version, about, propagate_version = true)]
pub struct Cli {
    /// Settings file (TOML, variable names in lower case); default: ./genworker.toml when present.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the embedded migrations to DATABASE_URL (creates only what is missing).
    Migrate(migrate::MigrateArgs),
    /// Show and change the AI model catalog (botapp_aimodel).
    Models {
        /// The catalog operation.
        #[command(subcommand)]
        command: models::ModelsCommand,
    },
    /// Run the daemon: claim queued requests and process them until SIGTERM/Ctrl-C.
    #[command(after_help = run::variables_help())]
    Run,
    /// The demo: embedded SQLite, the simulator, two Kling requests and one Veo request processed end to end
    /// (its temporary folder removed at the end unless --keep).
    Demo(demo::DemoArgs),
    /// Look at generation requests and requeue or cancel one.
    Requests {
        /// The queue operation.
        #[command(subcommand)]
        command: requests::RequestsCommand,
    },
    /// Insert a queued generation request the way the bot does (for tests and demos).
    Enqueue(enqueue::EnqueueArgs),
    /// Run the loopback Kling + Veo + Telegram simulator (127.0.0.1 only).
    Simulate(simulate::SimulateArgs),
}

/// Why a command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error("configuration error: {0}")]
    Settings(#[from] SettingsError),
    /// The database failed or is not ready.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The botapp tables do not serve genworker.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// `migrate` changed nothing.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    /// A catalog operation failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A queue operation was refused or failed.
    #[error(transparent)]
    Queue(#[from] AdminError),
    /// The demo's temporary folder could not be made or removed.
    #[error(transparent)]
    DemoFolder(#[from] demo::FolderError),
    /// The demo could not be set up, or not every request finished.
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    /// The daemon could not start.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// `simulate` could not start the simulator.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// `migrate --check` found problems (printed above).
    #[error("the schema check found {0} problem(s)")]
    CheckFailed(usize),
    /// JSON output could not be produced.
    #[error("cannot write output: {0}")]
    Output(#[source] serde_json::Error),
    /// Standard output failed (a closed one ends the command quietly instead).
    #[error("cannot write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
}

/// Runs one command to completion. A closed standard output ends it with success.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = LoadedSettings::load(cli.config.as_deref())?;
    let _logs = crate::telemetry::init(settings.log_format);
    output::closed_stdout_is_success(dispatch(&settings, cli.command).await)
}

async fn dispatch(settings: &LoadedSettings, command: Command) -> Result<(), CliError> {
    match command {
        Command::Migrate(args) => migrate::run(settings, args).await,
        Command::Models { command } => {
            let (db, tables) = open_checked(settings, &[]).await?;
            models::run(&db, &tables, command).await
        }
        Command::Run => run::run(settings).await,
        Command::Demo(args) => demo::run(settings, args).await,
        Command::Requests { command } => {
            let inserts: &[&str] = match &command {
                requests::RequestsCommand::Cancel { no_notify, .. } => {
                    if !no_notify {
                        // Refused before anything changes, not after the cancel.
                        settings.telegram()?;
                    }
                    // A cancelled request's charge is refunded.
                    &REFUND_INSERTS
                }
                _ => &[],
            };
            let (db, tables) = open_checked(settings, inserts).await?;
            requests::run(settings, &db, &tables, command).await
        }
        Command::Enqueue(args) => {
            let (db, tables) = open_checked(settings, &ENQUEUE_INSERTS).await?;
            enqueue::run(&db, &tables, args).await
        }
        Command::Simulate(args) => simulate::run(settings, args).await,
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when
/// this is called, not when it is first awaited, so a signal that comes while
/// the command still starts up (after it said it is ready) is not lost.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async fn received(signal: Option<Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        async move {
            tokio::select! {
                _ = received(interrupt) => {}
                _ = received(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Opens the database for a command that needs the schema in place: migrated,
/// and its botapp tables checked before anything is written, for inserts into
/// `inserts` (a NOT NULL column nothing fills in another table stops no command
/// that never inserts there).
async fn open_checked(
    settings: &LoadedSettings,
    inserts: &[&'static str],
) -> Result<(Database, Arc<Tables>), CliError> {
    let database = settings.database()?;
    let column_defaults = settings.column_defaults()?;
    let db = Database::open(&database.url, OpenMode::MustExist, database.pool_size).await?;
    ensure_applied(&db).await?;
    let tables = Tables::read(&db, column_defaults, inserts).await?;
    Ok((db, Arc::new(tables)))
}
