//! The merged file and environment values, and typed parsing of one variable.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use config::{Config, Environment, File, FileFormat, Source as _};

use super::{DEFAULT_CONFIG_FILE, SettingsError, variables};

/// The merged file and environment values, looked up by variable name.
pub(super) struct Source {
    config: Config,
    /// The settings file as named (for messages).
    path: String,
    /// The top-level keys of the settings file (none without a file).
    file_keys: Vec<String>,
}

impl Source {
    pub(super) fn read(
        config_file: Option<&Path>,
        environment: HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let (path, required) = match config_file {
            Some(path) => (path, true),
            None => (Path::new(DEFAULT_CONFIG_FILE), false),
        };
        let shown = path.display().to_string();
        let file_error = |error: config::ConfigError| SettingsError::File {
            path: shown.clone(),
            reason: error.to_string(),
        };
        let file = File::from(path).format(FileFormat::Toml).required(required);
        let file_keys = file.collect().map_err(file_error)?.into_keys().collect();
        let config = Config::builder()
            .add_source(file)
            .add_source(Environment::default().source(Some(environment)))
            .build()
            .map_err(file_error)?;
        Ok(Self {
            config,
            path: shown,
            file_keys,
        })
    }

    /// Refuses a settings file with a key that is no variable's (a typo would
    /// otherwise leave its setting at the default without a word).
    pub(super) fn refuse_unknown_keys(&self) -> Result<(), SettingsError> {
        let mut unknown: Vec<String> = self
            .file_keys
            .iter()
            .filter(|key| variables::by_key(key).is_none())
            .map(|key| match variables::hint(key) {
                Some(hint) => format!("`{key}` ({hint})"),
                None => format!("`{key}`"),
            })
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        unknown.sort();
        Err(SettingsError::UnknownKeys {
            path: self.path.clone(),
            keys: unknown,
        })
    }

    /// The raw value of a variable; an empty value counts as unset.
    pub(super) fn raw(&self, variable: &'static str) -> Result<Option<String>, SettingsError> {
        match self.config.get_string(&variable.to_ascii_lowercase()) {
            Ok(value) if value.trim().is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(config::ConfigError::NotFound(_)) => Ok(None),
            Err(error) => Err(SettingsError::Invalid {
                variable,
                reason: error.to_string(),
            }),
        }
    }

    /// A JSON value: a JSON text (the environment, or a string in the file), or a
    /// TOML table or array in the file; `None` when unset.
    pub(super) fn json(
        &self,
        variable: &'static str,
    ) -> Result<Option<serde_json::Value>, SettingsError> {
        let key = variable.to_ascii_lowercase();
        let invalid = |reason: String| SettingsError::Invalid { variable, reason };
        match self.config.get_string(&key) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|error| invalid(format!("not JSON: {error}"))),
            Err(config::ConfigError::NotFound(_)) => Ok(None),
            Err(_) => self
                .config
                .get::<serde_json::Value>(&key)
                .map(Some)
                .map_err(|error| invalid(error.to_string())),
        }
    }

    pub(super) fn parse_or<T, E: ToString>(
        &self,
        variable: &'static str,
        default: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, SettingsError>
    where
        T: FromStr<Err = E>,
    {
        let parsed = match self.raw(variable)? {
            Some(value) => value.trim().parse::<T>(),
            None => default(),
        };
        parsed.map_err(|error| SettingsError::Invalid {
            variable,
            reason: error.to_string(),
        })
    }

    pub(super) fn parse_with<T: Copy>(
        &self,
        variable: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, SettingsError> {
        match self.raw(variable)? {
            Some(value) => {
                parse(value.trim()).map_err(|reason| SettingsError::Invalid { variable, reason })
            }
            None => Ok(default),
        }
    }
}

/// A whole number of at least 1.
pub(super) fn positive(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(number) if number >= 1 => Ok(number),
        _ => Err(format!(
            "expected a whole number of at least 1, got `{value}`"
        )),
    }
}

/// The longest duration a setting takes: about 31 years.
const MAX_SECONDS: f64 = 1e9;

/// A positive number of seconds, fractions allowed (`0.5`), at most [`MAX_SECONDS`].
pub(super) fn seconds(value: &str) -> Result<std::time::Duration, String> {
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= MAX_SECONDS => {
            Ok(std::time::Duration::from_secs_f64(secs))
        }
        _ => Err(format!(
            "expected a positive number of seconds (at most 1000000000), got `{value}`"
        )),
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`).
pub(super) fn boolean(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got `{value}`")),
    }
}
