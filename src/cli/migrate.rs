//! `genworker migrate`.

use super::CliError;
use crate::db::{Database, OpenMode, migrate};
use crate::settings::Settings;

/// Applies the pending migrations and says which ran.
pub async fn run(settings: &Settings) -> Result<(), CliError> {
    let db = Database::open(&settings.database_url, OpenMode::CreateIfMissing, 1).await?;
    let applied = migrate::run_pending(&db).await?;
    if applied.is_empty() {
        println!("{}: already up to date", settings.database_url);
    } else {
        println!("{}: applied {}", settings.database_url, applied.join(", "));
    }
    Ok(())
}
