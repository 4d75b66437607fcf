//! `genworker run`: the daemon, until SIGTERM or Ctrl-C.

use super::CliError;
use crate::catalog;
use crate::daemon::{Daemon, DaemonError};
use crate::provider::ProviderRegistry;
use crate::queue::REFUND_INSERTS;
use crate::settings::Settings;

/// Runs the daemon on the configured database until a shutdown signal.
pub async fn run(settings: &Settings) -> Result<(), CliError> {
    let (db, tables) = super::open_checked(settings, &REFUND_INSERTS).await?;
    let registry = ProviderRegistry::from_settings(settings);
    registry.log_unserved(&catalog::list(&db).await?);
    if registry.names().is_empty() {
        tracing::warn!("no provider is configured (set KLING_API_KEY); nothing will be claimed");
    }
    let daemon = Daemon::new(settings, db, tables, registry).map_err(daemon_error)?;
    daemon
        .run(super::shutdown_signal())
        .await
        .map_err(daemon_error)
}

fn daemon_error(error: DaemonError) -> CliError {
    match error {
        DaemonError::Db(error) => CliError::Db(error),
        DaemonError::Setup(message) => CliError::Output(message),
    }
}
