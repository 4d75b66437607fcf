//! The `genworker` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use genworker::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match genworker::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
