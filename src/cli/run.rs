//! `genworker run`: the daemon, until SIGTERM or Ctrl-C.

use super::CliError;
use crate::catalog;
use crate::daemon::Daemon;
use crate::provider::ProviderRegistry;
use crate::queue::REFUND_INSERTS;
use crate::settings::{LoadedSettings, VARIABLES};

/// Runs the daemon on the configured database until a shutdown signal. It uses
/// every part of the settings, so any bad value stops it before it starts.
pub async fn run(loaded: &LoadedSettings) -> Result<(), CliError> {
    let settings = loaded.complete()?;
    let (db, tables) = super::open_checked(loaded, &REFUND_INSERTS).await?;
    let registry = ProviderRegistry::from_settings(&settings);
    registry.log_unserved(&catalog::list(&db).await?);
    if registry.names().is_empty() {
        let reasons: Vec<String> = registry
            .skipped()
            .into_iter()
            .map(|(name, reason)| format!("{name}: {reason}"))
            .collect();
        tracing::warn!(
            reasons = %reasons.join("; "),
            "no provider is configured; nothing will be claimed"
        );
    }
    let daemon = Daemon::new(&settings, db, tables, registry)?;
    Ok(daemon.run(super::shutdown_signal()).await?)
}

/// The variables `run` reads, for its `--help`: README's table in short.
pub(super) fn variables_help() -> String {
    let width = VARIABLES
        .iter()
        .map(|variable| variable.name.len())
        .max()
        .unwrap_or(0);
    let mut help = String::from(
        "Environment variables (also keys of the settings file, in lower case; \
         README.md, \"Configuration\", has each one's default and meaning):\n",
    );
    for variable in VARIABLES {
        help.push_str(&format!(
            "  {:<width$}  {}\n",
            variable.name, variable.summary
        ));
    }
    help.push_str(&format!(
        "  {:<width$}  {}",
        crate::telemetry::FILTER_VARIABLE,
        "log filter (environment only), e.g. info or genworker=debug"
    ));
    help
}
