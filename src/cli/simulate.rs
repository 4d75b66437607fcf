//! `genworker simulate`: the loopback Kling + Telegram simulator as a process,
//! for the demo, manual runs and benchmarks (knobs also at `PUT /_sim/knobs`).

use std::io::Write;

use clap::Args;
use secrecy::ExposeSecret;

use super::CliError;
use super::values::non_negative;
use crate::settings::LoadedSettings;
use crate::simulator::{Knobs, ResultMode, SimulatorConfig, serve_until};

/// Options of `genworker simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8089, allow_negative_numbers = true)]
    port: u16,
    /// Milliseconds from task creation to its result.
    #[arg(long, default_value_t = 2000, value_parser = non_negative, allow_negative_numbers = true)]
    finish_after_ms: u64,
    /// Size of generated videos in bytes.
    #[arg(long, default_value_t = 256 * 1024, value_parser = non_negative,
          allow_negative_numbers = true)]
    video_bytes: u64,
    /// Return results as base64 instead of URLs (generic style).
    #[arg(long)]
    base64: bool,
}

/// Keys used when the settings name none.
const DEFAULT_KEY: &str = "simulator-key";
const DEFAULT_SECRET: &str = "simulator-secret";
const DEFAULT_TOKEN: &str = "123456:simulator-token";

/// Serves until Ctrl-C or SIGTERM. Of the settings it reads only the credentials,
/// so no other setting's value can stop it.
pub async fn run(settings: &LoadedSettings, args: SimulateArgs) -> Result<(), CliError> {
    let credentials = settings.credentials()?;
    let pick = |value: Option<&secrecy::SecretString>, default: &str| {
        value.map_or_else(
            || default.to_owned(),
            |secret| secret.expose_secret().to_owned(),
        )
    };
    let mut config = SimulatorConfig::new(
        pick(credentials.kling_api_key.as_ref(), DEFAULT_KEY),
        pick(credentials.kling_api_secret.as_ref(), DEFAULT_SECRET),
        pick(credentials.telegram_bot_token.as_ref(), DEFAULT_TOKEN),
    );
    config.port = args.port;
    config.knobs = Knobs {
        finish_after_ms: args.finish_after_ms,
        video_bytes: args.video_bytes,
        result: if args.base64 {
            ResultMode::Base64
        } else {
            ResultMode::Url
        },
        ..Knobs::default()
    };
    // A closed standard error must not stop the simulator.
    let _ = writeln!(
        std::io::stderr(),
        "simulator on 127.0.0.1:{} (Ctrl-C stops it); point genworker at it with\n  \
         KLING_API_BASE_URL=http://127.0.0.1:{0} TELEGRAM_API_BASE_URL=http://127.0.0.1:{0} \
         KLING_ALLOW_PRIVATE_URLS=true",
        args.port
    );
    serve_until(config, super::shutdown_signal())
        .await
        .map_err(|error| CliError::Output(format!("simulator: {error}")))
}
