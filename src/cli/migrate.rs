//! `genworker migrate [--check]`.

use clap::Args;

use super::CliError;
use crate::catalog::seed::SLUG;
use crate::db::migrate::SeedCheck;
use crate::db::{Database, OpenMode, migrate};
use crate::settings::Settings;

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
pub async fn run(settings: &Settings, args: MigrateArgs) -> Result<(), CliError> {
    if args.check {
        return check(settings).await;
    }
    let db = Database::open(&settings.database_url, OpenMode::CreateIfMissing, 1).await?;
    let migrated = migrate::run_pending(&db, &settings.column_defaults).await?;
    if migrated.applied.is_empty() {
        println!("{}: already up to date", settings.database_url);
    } else {
        println!(
            "{}: applied {}",
            settings.database_url,
            migrated.applied.join(", ")
        );
    }
    if let Some(seed) = migrated.seed {
        println!("seed: {seed}");
    }
    Ok(())
}

async fn check(settings: &Settings) -> Result<(), CliError> {
    let db = Database::open(&settings.database_url, OpenMode::MustExist, 1).await?;
    let found = migrate::check(&db, &settings.column_defaults).await?;
    println!("{}: schema check", settings.database_url);
    if found.pending.is_empty() {
        println!("migrations: all applied");
    } else {
        println!(
            "migrations: pending {} (`genworker migrate` applies them)",
            found.pending.join(", ")
        );
    }
    match &found.seed {
        SeedCheck::Done => {}
        SeedCheck::Would(seed) => match seed.reason() {
            None => println!("seed: would insert {SLUG}"),
            Some(reason) => println!("seed: would insert no model: {reason}"),
        },
        SeedCheck::Undecided => {
            println!("seed: undecided until the problems with botapp_aimodel below are fixed");
        }
    }
    for fill in &found.fills {
        println!("fills {fill}");
    }
    for note in &found.report.notes {
        println!("note: {note}");
    }
    if found.report.is_ok() {
        println!(
            "ok: every botapp column genworker reads or writes is there and wide enough, \
             and every other NOT NULL column has a value"
        );
        return Ok(());
    }
    println!("{} problem(s):", found.report.problems.len());
    println!("{}", found.report);
    Err(CliError::CheckFailed(found.report.problems.len()))
}
