//! `genworker simulate`: the loopback Kling + Veo + Telegram simulator as a
//! process, for the demo, manual runs and benchmarks (knobs also at
//! `PUT /_sim/knobs`). Once it listens it prints, on standard output, the
//! variables that point genworker at it (the real port, the keys it accepts,
//! its Google service-account key written to a private temporary file, removed
//! when it stops) and the built-in image2video input.
//!
//! Reads `KLING_API_KEY`, `KLING_API_SECRET` and `TELEGRAM_BOT_TOKEN` from the
//! settings: the simulator accepts those when they are set (and never prints
//! them), its own defaults otherwise.

use std::fmt::Write as _;
use std::path::Path;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::CliError;
use super::values::non_negative;
use crate::settings::LoadedSettings;
use crate::simulator::{
    CLIP, Knobs, ResultMode, SIM_GEMINI_API_KEY, SIM_PHOTO_FILE_ID, SIM_VERTEX_PROJECT,
    ServiceAccountFile, Simulator, SimulatorConfig, video_size,
};

/// Options of `genworker simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the hint prints the one it got).
    #[arg(long, default_value_t = 8089, allow_negative_numbers = true)]
    port: u16,
    /// Milliseconds from task creation to its result.
    #[arg(long, default_value_t = 2000, value_parser = non_negative, allow_negative_numbers = true)]
    finish_after_ms: u64,
    /// Size of generated videos in bytes (the 5,353-byte clip, grown to it; never less).
    #[arg(long, default_value_t = 256 * 1024, value_parser = non_negative,
          allow_negative_numbers = true)]
    video_bytes: u64,
    /// Return results as base64 instead of URLs (generic Kling style, and Veo).
    #[arg(long)]
    base64: bool,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// Its port could not be bound.
    #[error("simulator: cannot listen on 127.0.0.1:{port}: {source}")]
    Listen {
        /// `--port`.
        port: u16,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The service-account key file it offers could not be written.
    #[error("simulator: cannot write its service-account key file: {0}")]
    KeyFile(#[source] std::io::Error),
}

/// The Vertex location the hint names (any works: the simulator has one).
const VERTEX_LOCATION: &str = "us-central1";

/// Keys used when the settings name none.
const DEFAULT_KEY: &str = "simulator-key";
const DEFAULT_SECRET: &str = "simulator-secret";
const DEFAULT_TOKEN: &str = "123456:simulator-token";

/// One credential the simulator checks, and where its value came from.
struct Credential {
    /// The variable genworker reads it from.
    variable: &'static str,
    value: String,
    /// Taken from the operator's settings: a possibly real secret, never printed.
    from_settings: bool,
}

impl Credential {
    fn pick(variable: &'static str, setting: Option<&SecretString>, default: &str) -> Self {
        match setting {
            Some(secret) => Self {
                variable,
                value: secret.expose_secret().to_owned(),
                from_settings: true,
            },
            None => Self {
                variable,
                value: default.to_owned(),
                from_settings: false,
            },
        }
    }
}

/// Serves until Ctrl-C or SIGTERM. Of the settings it reads only the credentials,
/// so no other setting's value can stop it.
pub async fn run(settings: &LoadedSettings, args: SimulateArgs) -> Result<(), CliError> {
    let credentials = settings.credentials()?;
    let [key, secret, token] = [
        Credential::pick(
            "KLING_API_KEY",
            credentials.kling_api_key.as_ref(),
            DEFAULT_KEY,
        ),
        Credential::pick(
            "KLING_API_SECRET",
            credentials.kling_api_secret.as_ref(),
            DEFAULT_SECRET,
        ),
        Credential::pick(
            "TELEGRAM_BOT_TOKEN",
            credentials.telegram_bot_token.as_ref(),
            DEFAULT_TOKEN,
        ),
    ];
    let mut config = SimulatorConfig::new(&key.value, &secret.value, &token.value);
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
    let stop = super::shutdown_signal();
    let simulator = Simulator::start(config)
        .await
        .map_err(|source| SimulatorError::Listen {
            port: args.port,
            source,
        })?;
    let key_file = ServiceAccountFile::create(&simulator).map_err(SimulatorError::KeyFile)?;
    // The hint is for a reader: a closed standard output must not stop the simulator.
    let _ = super::output::write_flushed(&hint(
        &simulator.base_url(),
        &[key, secret, token],
        key_file.path(),
        video_size(args.video_bytes),
    ));
    stop.await;
    simulator.shutdown().await;
    drop(key_file);
    Ok(())
}

/// What `simulate` prints once it listens: shell lines, the comments starting
/// with `#`, so the whole block can be pasted.
fn hint(
    base_url: &str,
    credentials: &[Credential; 3],
    key_file: &Path,
    video_bytes: u64,
) -> String {
    let [key, secret, token] = credentials;
    let mut out = format!(
        "# genworker simulator on {base_url}: Kling (generic, official and useapi.net API styles), \
         Google Veo (Vertex AI and the Gemini API) and the Telegram Bot API; Ctrl-C stops it.\n\
         # Point genworker at it: run these lines in the shell that runs \
         `genworker run` and `genworker enqueue`.\n\
         export KLING_API_BASE_URL={base_url}\n"
    );
    for credential in [key, secret] {
        out.push_str(&export(credential));
    }
    let _ = writeln!(out, "export TELEGRAM_API_BASE_URL={base_url}");
    out.push_str(&export(token));
    out.push_str(&veo_exports(base_url, key_file));
    let _ = write!(
        out,
        "# The official Kling style answers too: export KLING_API_STYLE=official\n\
         # and Kling through useapi.net (the key is KLING_API_KEY's): export KLING_API_STYLE=useapi USEAPI_BASE_URL={base_url}\n\
         # Veo answers in the Vertex AI style; the Gemini API style too: export VEO_API_STYLE=gemini\n\
         # Videos: a real 1-second 160x120 H.264 MP4 ({} bytes), grown to {video_bytes} bytes.\n\
         # image2video: the Telegram file id {SIM_PHOTO_FILE_ID} is always a 160x120 JPEG, e.g.\n\
         #   genworker enqueue --model kling-v1 --type image2video --image {SIM_PHOTO_FILE_ID} \
         --prompt 'Make this picture come alive'\n",
        CLIP.len()
    );
    out
}

/// The `export` lines of Veo: both Google styles, the token endpoint and
/// Cloud Storage on the simulator.
fn veo_exports(base_url: &str, key_file: &Path) -> String {
    let mut out = String::new();
    let key_file = shell_word(&key_file.display().to_string());
    for (name, value) in [
        ("GOOGLE_APPLICATION_CREDENTIALS_JSON", key_file.as_str()),
        ("VERTEX_PROJECT_ID", SIM_VERTEX_PROJECT),
        ("VERTEX_LOCATION", VERTEX_LOCATION),
        ("VERTEX_API_BASE_URL", base_url),
        ("GOOGLE_OAUTH_TOKEN_URL", &format!("{base_url}/token")),
        ("GOOGLE_STORAGE_BASE_URL", base_url),
        ("GEMINI_API_BASE_URL", base_url),
        ("GEMINI_API_KEY", SIM_GEMINI_API_KEY),
        ("GENWORKER_ALLOW_PRIVATE_URLS", "true"),
    ] {
        let _ = writeln!(out, "export {name}={value}");
    }
    out
}

/// `text` as one shell word: as it is when it has no special character,
/// else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The `export` line of a credential, or a comment when it is the operator's own.
fn export(credential: &Credential) -> String {
    if credential.from_settings {
        format!(
            "# {}: the one your settings give (not printed); the simulator accepts it\n",
            credential.variable
        )
    } else {
        format!("export {}={}\n", credential.variable, credential.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_s_own_credentials_are_never_printed() {
        let mine = SecretString::from("my-real-kling-key");
        let credentials = [
            Credential::pick("KLING_API_KEY", Some(&mine), DEFAULT_KEY),
            Credential::pick("KLING_API_SECRET", None, DEFAULT_SECRET),
            Credential::pick("TELEGRAM_BOT_TOKEN", None, DEFAULT_TOKEN),
        ];
        let key_file = Path::new("/tmp/genworker-sim-1/key.json");
        let text = hint("http://127.0.0.1:4242", &credentials, key_file, 9000);
        assert!(!text.contains("my-real-kling-key"), "{text}");
        assert!(text.contains("# KLING_API_KEY: the one your settings give"));
        assert!(text.contains("export KLING_API_SECRET=simulator-secret\n"));
        assert!(text.contains("export TELEGRAM_BOT_TOKEN=123456:simulator-token\n"));
        assert!(text.contains("export KLING_API_BASE_URL=http://127.0.0.1:4242\n"));
        for line in text.lines() {
            assert!(
                line.starts_with("# ") || line.starts_with("export "),
                "not a shell line: {line}"
            );
        }
        for line in [
            "export GOOGLE_APPLICATION_CREDENTIALS_JSON=/tmp/genworker-sim-1/key.json",
            "export VERTEX_PROJECT_ID=sim-project",
            "export VERTEX_LOCATION=us-central1",
            "export VERTEX_API_BASE_URL=http://127.0.0.1:4242",
            "export GOOGLE_OAUTH_TOKEN_URL=http://127.0.0.1:4242/token",
            "export GOOGLE_STORAGE_BASE_URL=http://127.0.0.1:4242",
            "export GEMINI_API_BASE_URL=http://127.0.0.1:4242",
            "export GEMINI_API_KEY=sim-gemini-key",
            "export GENWORKER_ALLOW_PRIVATE_URLS=true",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
        assert!(text.contains("export VEO_API_STYLE=gemini"), "{text}");
    }

    #[test]
    fn a_path_with_shell_characters_is_quoted() {
        assert_eq!(shell_word("/tmp/a-b_c.json"), "/tmp/a-b_c.json");
        assert_eq!(shell_word("/tmp/my dir/k.json"), "'/tmp/my dir/k.json'");
        assert_eq!(shell_word("/tmp/it's"), "'/tmp/it'\\''s'");
    }
}
