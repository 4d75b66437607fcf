//! `genworker migrate [--check]`.

use clap::Args;

use super::CliError;
use super::output::outln;
use crate::catalog::seed::SLUG;
use crate::db::live::ColumnDefaults;
use crate::db::migrate::SeedCheck;
use crate::db::{Database, DatabaseUrl, OpenMode, migrate};
use crate::settings::LoadedSettings;

/// Options of `genworker migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Change nothing: print what genworker needs of the botapp tables that they do
    /// not give, the pending migrations and what the seed would do; exit 1 on any
    /// problem.
    #[arg(long)]
    check: bool,
}

/// Applies the pending migrations and says which ran, or only checks.
pub async fn run(settings: &LoadedSettings, args: MigrateArgs) -> Result<(), CliError> {
    let url = &settings.database()?.url;
    let column_defaults = settings.column_defaults()?;
    if args.check {
        return check(url, column_defaults).await;
    }
    let db = Database::open(url, OpenMode::CreateIfMissing, 1).await?;
    let migrated = migrate::run_pending(&db, column_defaults).await?;
    if migrated.applied.is_empty() {
        outln!("{url}: already up to date")?;
    } else {
        outln!("{url}: applied {}", migrated.applied.join(", "))?;
    }
    if let Some(seed) = migrated.seed {
        outln!("seed: {seed}")?;
    }
    Ok(())
}

async fn check(url: &DatabaseUrl, column_defaults: &ColumnDefaults) -> Result<(), CliError> {
    let db = Database::open(url, OpenMode::MustExist, 1).await?;
    let found = migrate::check(&db, column_defaults).await?;
    let printed = print_check(url, &found);
    if found.report.is_ok() {
        return printed;
    }
    // The verdict does not depend on a reader: problems exit 1 even when the
    // report found its output closed (`genworker migrate --check | head`).
    super::output::closed_stdout_is_success(printed)?;
    Err(CliError::CheckFailed(found.report.problems.len()))
}

/// Prints what `migrate --check` found.
fn print_check(url: &DatabaseUrl, found: &migrate::SchemaCheck) -> Result<(), CliError> {
    outln!("{url}: schema check")?;
    if found.pending.is_empty() {
        outln!("migrations: all applied")?;
    } else {
        outln!(
            "migrations: pending {} (`genworker migrate` applies them)",
            found.pending.join(", ")
        )?;
    }
    match &found.seed {
        SeedCheck::Done => {}
        SeedCheck::Would(seed) => match seed.reason() {
            None => outln!("seed: would insert {SLUG}")?,
            Some(reason) => outln!("seed: would insert no model: {reason}")?,
        },
        SeedCheck::Undecided => {
            outln!("seed: undecided until the problems with botapp_aimodel below are fixed")?;
        }
    }
    for fill in &found.fills {
        outln!("fills {fill}")?;
    }
    for note in &found.report.notes {
        outln!("note: {note}")?;
    }
    if found.report.is_ok() {
        return outln!(
            "ok: every botapp column genworker reads or writes is there and wide enough, \
             and every other NOT NULL column has a value"
        );
    }
    outln!("{} problem(s):", found.report.problems.len())?;
    outln!("{}", found.report)
}
