//! Settings: read once at start-up from built-in defaults, then an optional TOML
//! file (`genworker.toml`, or `--config PATH`), then the environment, into
//! [`LoadedSettings`], whose parts each command checks as it uses them; `run`
//! takes them all as one [`Settings`]. Nothing else reads the environment.
//!
//! Variables ([`VARIABLES`]): `DATABASE_URL`, `GENWORKER_DB_POOL_SIZE`, `LOG_FORMAT`,
//! `GENWORKER_COLUMN_DEFAULTS`, and those of
//! [`daemon`], [`kling`], [`telegram`] and [`s3`]. In the file, the same names are
//! written in lower case (`database_url = "..."`); any other key is refused.

mod daemon;
mod kling;
mod loaded;
mod s3;
mod source;
mod telegram;
mod useapi;
mod variables;
mod veo;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

pub use daemon::DaemonSettings;
pub use kling::{KlingApiStyle, KlingSettings};
pub use loaded::{Credentials, DatabaseSettings, LoadedSettings};
pub use s3::S3Settings;
pub use telegram::TelegramSettings;
pub use useapi::{UseapiSettings, sanitize_max_jobs};
pub use variables::{VARIABLES, Variable};
pub use veo::{VeoApiStyle, VeoSettings};

use crate::db::DatabaseUrl;
use crate::db::live::ColumnDefaults;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "genworker.toml";

/// A setting that is missing or invalid: names the variable and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SettingsError {
    /// The value of a variable cannot be used.
    #[error("{variable}: {reason}")]
    Invalid {
        /// The environment variable's name.
        variable: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The configuration file cannot be read or parsed.
    #[error("configuration file {path}: {reason}")]
    File {
        /// The file's path.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The configuration file has keys that are no variable's.
    #[error(
        "configuration file {path}: unknown {} {}; the keys are the variables of \
         README's table in lower case",
        if keys.len() == 1 { "key" } else { "keys" },
        keys.join(", ")
    )]
    UnknownKeys {
        /// The file's path.
        path: String,
        /// The unknown keys, quoted, each with a hint when one is close.
        keys: Vec<String>,
    },
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl SettingsError {
    fn invalid(variable: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            variable,
            reason: reason.into(),
        }
    }
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!("expected `text` or `json`, got `{value}`")),
        }
    }
}

/// Everything genworker is configured with, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: which database, and so which backend (default `sqlite://genworker.sqlite3`).
    pub database_url: DatabaseUrl,
    /// `GENWORKER_DB_POOL_SIZE`: connections kept per process (default 10).
    pub db_pool_size: u32,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `GENWORKER_COLUMN_DEFAULTS`: values for NOT NULL columns of the botapp
    /// tables that genworker does not know (a later release of the bot's).
    pub column_defaults: ColumnDefaults,
    /// The daemon.
    pub daemon: DaemonSettings,
    /// The Kling provider.
    pub kling: KlingSettings,
    /// The Veo provider.
    pub veo: VeoSettings,
    /// The Telegram Bot API.
    pub telegram: TelegramSettings,
    /// Result storage in an S3-compatible bucket; `None`: under `MEDIA_ROOT`.
    pub s3: Option<S3Settings>,
}

impl Settings {
    /// Reads the settings from the file (when given, or `genworker.toml` when present)
    /// and the process environment, every part checked.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        LoadedSettings::load(config_file)?.complete()
    }

    /// Reads the settings from the file and the given variables instead of the
    /// process environment, every part checked (what tests use).
    pub fn from_sources(
        config_file: Option<&Path>,
        environment: HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        LoadedSettings::from_sources(config_file, environment)?.complete()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = Settings::from_sources(None, env(&[])).unwrap();
        assert_eq!(
            settings.database_url.to_string(),
            "sqlite://genworker.sqlite3"
        );
        assert_eq!(settings.db_pool_size, 10);
        assert_eq!(settings.log_format, LogFormat::Text);
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "database_url = \"sqlite://from-file.db\"\ngenworker_db_pool_size = 3"
        )
        .unwrap();
        let settings = Settings::from_sources(
            Some(file.path()),
            env(&[("DATABASE_URL", "postgres://u@h/db")]),
        )
        .unwrap();
        assert_eq!(settings.database_url.to_string(), "postgres://u@h/db");
        assert_eq!(settings.db_pool_size, 3);
    }

    #[test]
    fn an_invalid_value_names_the_variable() {
        let error = Settings::from_sources(None, env(&[("GENWORKER_DB_POOL_SIZE", "many")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "GENWORKER_DB_POOL_SIZE: expected a whole number of at least 1, got `many`"
        );
        let error = Settings::from_sources(None, env(&[("LOG_FORMAT", "xml")]))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "LOG_FORMAT: expected `text` or `json`, got `xml`");
        let error = Settings::from_sources(None, env(&[("DATABASE_URL", "mysql://x/y")]))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("DATABASE_URL: "), "{error}");
    }

    #[test]
    fn column_defaults_come_from_json_or_a_toml_table() {
        let settings = Settings::from_sources(
            None,
            env(&[(
                "GENWORKER_COLUMN_DEFAULTS",
                r#"{"botapp_genrequest.cost_usd": 0.5}"#,
            )]),
        )
        .unwrap();
        assert_eq!(
            settings
                .column_defaults
                .get("botapp_genrequest", "cost_usd"),
            Some(&serde_json::json!(0.5))
        );
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "[genworker_column_defaults]\n\"botapp_aimodel.cost_unit\" = \"second\""
        )
        .unwrap();
        let settings = Settings::from_sources(Some(file.path()), env(&[])).unwrap();
        assert_eq!(
            settings.column_defaults.get("botapp_aimodel", "cost_unit"),
            Some(&serde_json::json!("second"))
        );
        let error = Settings::from_sources(
            None,
            env(&[("GENWORKER_COLUMN_DEFAULTS", r#"{"cost_usd": 0}"#)]),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "GENWORKER_COLUMN_DEFAULTS: key `cost_usd` is not table.column"
        );
    }

    #[test]
    fn a_missing_config_file_given_explicitly_is_an_error() {
        let error =
            Settings::from_sources(Some(Path::new("/nonexistent/genworker.toml")), env(&[]))
                .unwrap_err()
                .to_string();
        assert!(
            error.starts_with("configuration file /nonexistent/genworker.toml"),
            "{error}"
        );
    }
}
