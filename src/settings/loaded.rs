//! The settings as read, each part with its own verdict. Only what every command
//! uses (`LOG_FORMAT`, the file itself) stops every command; a bad value of one
//! part stops only the commands that use that part, so a bad `KLING_EXTRA_HEADERS`
//! stops `run`, never `models list`, `requests …`, `migrate` or `simulate`.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use secrecy::SecretString;

use super::source::{Source, positive};
use super::{
    DaemonSettings, KlingSettings, LogFormat, S3Settings, Settings, SettingsError,
    TelegramSettings, VeoSettings,
};
use crate::db::DatabaseUrl;
use crate::db::live::{COLUMN_DEFAULTS_VARIABLE, ColumnDefaults};

type Part<T> = Result<T, SettingsError>;

/// Which database: `DATABASE_URL` and `GENWORKER_DB_POOL_SIZE`.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `DATABASE_URL` (default `sqlite://genworker.sqlite3`).
    pub url: DatabaseUrl,
    /// `GENWORKER_DB_POOL_SIZE` (default 10).
    pub pool_size: u32,
}

/// The credentials as given, whatever else of their parts is wrong: the
/// simulator accepts the ones genworker is configured with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `KLING_API_KEY`.
    pub kling_api_key: Option<SecretString>,
    /// `KLING_API_SECRET`.
    pub kling_api_secret: Option<SecretString>,
    /// `TELEGRAM_BOT_TOKEN`.
    pub telegram_bot_token: Option<SecretString>,
}

/// Every part of the settings, read and checked, each error kept for the
/// commands that use its part.
#[derive(Debug, Clone)]
pub struct LoadedSettings {
    /// `LOG_FORMAT`: every command logs.
    pub log_format: LogFormat,
    database: Part<DatabaseSettings>,
    column_defaults: Part<ColumnDefaults>,
    daemon: Part<DaemonSettings>,
    kling: Part<KlingSettings>,
    veo: Part<VeoSettings>,
    telegram: Part<TelegramSettings>,
    s3: Part<Option<S3Settings>>,
    credentials: Part<Credentials>,
}

impl LoadedSettings {
    /// Reads the file (when given, or `genworker.toml` when present) and the
    /// process environment. Fails only when the file cannot be used (unreadable,
    /// not TOML, a key that is no variable's) or `LOG_FORMAT` is bad.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::from_sources(config_file, std::env::vars().collect())
    }

    /// As [`LoadedSettings::load`], with these variables instead of the process
    /// environment (what tests use).
    pub fn from_sources(
        config_file: Option<&Path>,
        environment: HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let source = Source::read(config_file, environment)?;
        source.refuse_unknown_keys()?;
        Ok(Self {
            log_format: source.parse_or("LOG_FORMAT", || Ok(LogFormat::Text))?,
            database: read_database(&source),
            column_defaults: read_column_defaults(&source),
            daemon: DaemonSettings::read(&source),
            kling: KlingSettings::read(&source),
            veo: VeoSettings::read(&source),
            telegram: TelegramSettings::read(&source),
            s3: S3Settings::read(&source),
            credentials: read_credentials(&source),
        })
    }

    /// Every part checked: what `run` needs. The first bad part's error.
    pub fn complete(&self) -> Result<Settings, SettingsError> {
        let database = self.database()?;
        Ok(Settings {
            database_url: database.url.clone(),
            db_pool_size: database.pool_size,
            log_format: self.log_format,
            column_defaults: self.column_defaults()?.clone(),
            daemon: part(&self.daemon)?.clone(),
            kling: part(&self.kling)?.clone(),
            veo: part(&self.veo)?.clone(),
            telegram: self.telegram()?.clone(),
            s3: part(&self.s3)?.clone(),
        })
    }

    /// The database, for every command that opens one.
    pub fn database(&self) -> Result<&DatabaseSettings, SettingsError> {
        part(&self.database)
    }

    /// `GENWORKER_COLUMN_DEFAULTS`, for every command that reads the botapp tables.
    pub fn column_defaults(&self) -> Result<&ColumnDefaults, SettingsError> {
        part(&self.column_defaults)
    }

    /// The Telegram Bot API, for the commands that message users.
    pub fn telegram(&self) -> Result<&TelegramSettings, SettingsError> {
        part(&self.telegram)
    }

    /// The credentials, for the simulator.
    pub fn credentials(&self) -> Result<&Credentials, SettingsError> {
        part(&self.credentials)
    }
}

fn part<T>(read: &Part<T>) -> Result<&T, SettingsError> {
    read.as_ref().map_err(Clone::clone)
}

fn read_database(source: &Source) -> Part<DatabaseSettings> {
    Ok(DatabaseSettings {
        url: source.parse_or("DATABASE_URL", || {
            DatabaseUrl::from_str("sqlite://genworker.sqlite3")
        })?,
        pool_size: source.parse_with("GENWORKER_DB_POOL_SIZE", 10, positive)?,
    })
}

fn read_column_defaults(source: &Source) -> Part<ColumnDefaults> {
    match source.json(COLUMN_DEFAULTS_VARIABLE)? {
        None => Ok(ColumnDefaults::default()),
        Some(value) => ColumnDefaults::from_json(value)
            .map_err(|reason| SettingsError::invalid(COLUMN_DEFAULTS_VARIABLE, reason)),
    }
}

fn read_credentials(source: &Source) -> Part<Credentials> {
    Ok(Credentials {
        kling_api_key: source.raw("KLING_API_KEY")?.map(SecretString::from),
        kling_api_secret: source.raw("KLING_API_SECRET")?.map(SecretString::from),
        telegram_bot_token: source.raw("TELEGRAM_BOT_TOKEN")?.map(SecretString::from),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;
    use crate::settings::VARIABLES;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    /// A valid value of every variable, as a TOML line.
    const EVERY_KEY: &str = r#"
database_url = "postgres://bot@db.internal/app"
genworker_db_pool_size = 3
log_format = "json"
genworker_concurrency = 7
genworker_poll_interval = 0.25
genworker_lease_seconds = 30
genworker_max_attempts = 2
genworker_retry_base = 1
genworker_shutdown_grace = 4
genworker_worker_id = "w-file"
genworker_takeover = false
genworker_http_addr = "127.0.0.1:9999"
genworker_callback_url = "https://genworker.example.com"
genworker_callback_secret = "a-secret-of-16-chars"
media_root = "/srv/media"
media_url = "/m"
s3_bucket = "videos"
s3_endpoint = "http://127.0.0.1:9000"
s3_region = "eu-central-1"
s3_access_key_id = "AKID"
s3_secret_access_key = "s3-secret"
s3_public_url = "https://cdn.example.com/videos"
kling_api_key = "kling-key"
kling_api_secret = "kling-secret"
kling_organization_id = "org-1"
kling_api_base_url = "https://kling.example.com"
kling_api_style = "official"
kling_create_endpoint = "/create"
kling_status_endpoint = "/status/{job_id}"
kling_poll_interval = 3
kling_callback_poll_interval = 30
kling_poll_timeout = 60
kling_request_timeout = 9
kling_extra_headers = '{"X-Client": "genworker"}'
kling_max_concurrent = 5
kling_max_video_mb = 64
kling_allow_private_urls = true
useapi_api_key = "useapi-key"
useapi_base_url = "https://useapi.example.com"
useapi_poll_interval = 4
useapi_poll_timeout = 300
useapi_request_timeout = 90
useapi_kling_max_jobs = 7
useapi_max_jobs = 3
useapi_kling_account_email = "acc@example.com"
useapi_kling_account_password = "secret"
genworker_allow_private_urls = true
veo_api_style = "gemini"
google_application_credentials_json = "/secrets/sa.json"
vertex_project_id = "proj"
gcp_project_id = "proj-fallback"
vertex_location = "europe-west4"
gcp_location = "us-east5"
gemini_api_key = "gemini-key"
vertex_api_base_url = "https://vertex.example.com"
gemini_api_base_url = "https://gemini.example.com"
google_oauth_token_url = "https://oauth.example.com/token"
google_storage_base_url = "https://storage.example.com"
veo_poll_interval = 7
veo_poll_timeout = 600
veo_request_timeout = 30
veo_max_concurrent = 4
veo_max_video_mb = 256
telegram_bot_token = "123:token"
telegram_api_base_url = "https://tg.example.com"
genworker_message_style = "2d893898"
payment_mini_app_url = "https://pay.example.com/app"
public_base_url = "https://bot.example.com"

[genworker_column_defaults]
"botapp_transaction.channel" = "bot"
"#;

    #[test]
    fn every_variable_is_a_key_of_the_file_and_is_read_from_it() {
        for variable in VARIABLES {
            let key = variable.name.to_ascii_lowercase();
            assert!(
                EVERY_KEY.contains(&format!("\n{key} = "))
                    || (key == "genworker_column_defaults"
                        && EVERY_KEY.contains("[genworker_column_defaults]")),
                "{key} missing from the test file"
            );
        }
        let settings = LoadedSettings::from_sources(Some(file(EVERY_KEY).path()), env(&[]))
            .unwrap()
            .complete()
            .unwrap();
        assert_eq!(settings.db_pool_size, 3);
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.daemon.concurrency, 7);
        assert_eq!(settings.daemon.worker_id, "w-file");
        assert!(!settings.daemon.takeover);
        assert!(settings.daemon.callbacks.is_some());
        assert_eq!(
            settings.kling.callback_poll_interval,
            std::time::Duration::from_secs(30)
        );
        assert_eq!(settings.daemon.media_url, "/m/");
        assert_eq!(
            settings.kling.api_style,
            super::super::KlingApiStyle::Official
        );
        assert_eq!(settings.kling.extra_headers.len(), 1);
        assert!(settings.daemon.allow_private_urls);
        assert_eq!(settings.kling.max_concurrent, 5);
        assert!(
            settings.kling.useapi.is_none(),
            "read only in the useapi style"
        );
        assert_eq!(settings.veo.api_style, super::super::VeoApiStyle::Gemini);
        assert_eq!(settings.veo.location, "europe-west4");
        assert_eq!(settings.veo.max_concurrent, 4);
        assert_eq!(
            settings.telegram.mini_app_url.as_deref(),
            Some("https://pay.example.com/app")
        );
        assert_eq!(settings.s3.unwrap().region, "eu-central-1");
        assert_eq!(
            settings
                .column_defaults
                .get("botapp_transaction", "channel"),
            Some(&serde_json::json!("bot"))
        );
    }

    #[test]
    fn a_key_that_is_no_variable_is_refused_with_the_file_and_the_key() {
        let bad = file("databse_url = \"sqlite://x.db\"\nkling_api_key = \"k\"\n");
        let error = LoadedSettings::from_sources(Some(bad.path()), env(&[]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            format!(
                "configuration file {}: unknown key `databse_url` (did you mean \
                 `database_url`?); the keys are the variables of README's table in lower case",
                bad.path().display()
            )
        );
        let bad = file("DATABASE_URL = \"sqlite://x.db\"\n[kling]\napi_key = \"k\"\n");
        let error = LoadedSettings::from_sources(Some(bad.path()), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "unknown keys `DATABASE_URL` (keys are written in lower case: `database_url`), \
                 `kling`;"
            ),
            "{error}"
        );
        // The environment may hold anything: only the file's keys are checked.
        assert!(LoadedSettings::from_sources(None, env(&[("Databse_Url", "x")])).is_ok());
    }

    #[test]
    fn a_bad_part_stops_only_what_uses_it() {
        let loaded = LoadedSettings::from_sources(
            None,
            env(&[
                ("KLING_EXTRA_HEADERS", "not json"),
                ("KLING_API_KEY", "kling-key"),
                ("DATABASE_URL", "sqlite://ok.db"),
            ]),
        )
        .unwrap();
        assert_eq!(loaded.database().unwrap().url.to_string(), "sqlite://ok.db");
        assert!(loaded.column_defaults().is_ok());
        assert!(loaded.telegram().is_ok());
        let credentials = loaded.credentials().unwrap();
        assert_eq!(
            credentials.kling_api_key.as_ref().unwrap().expose_secret(),
            "kling-key"
        );
        let error = loaded.complete().unwrap_err().to_string();
        assert!(
            error.starts_with("KLING_EXTRA_HEADERS: not JSON"),
            "{error}"
        );

        for (variable, value, named) in [
            ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL"),
            ("GENWORKER_CONCURRENCY", "0", "GENWORKER_CONCURRENCY"),
            ("S3_BUCKET", "videos", "S3_ACCESS_KEY_ID"),
            ("DATABASE_URL", "mysql://x/y", "DATABASE_URL"),
            (
                "GENWORKER_COLUMN_DEFAULTS",
                "[]",
                "GENWORKER_COLUMN_DEFAULTS",
            ),
        ] {
            let loaded = LoadedSettings::from_sources(None, env(&[(variable, value)])).unwrap();
            let error = loaded.complete().unwrap_err().to_string();
            assert!(error.starts_with(&format!("{named}: ")), "{error}");
            assert!(loaded.credentials().is_ok(), "{variable}");
        }
        let bad_telegram =
            LoadedSettings::from_sources(None, env(&[("TELEGRAM_API_BASE_URL", "ftp://x")]))
                .unwrap();
        assert!(bad_telegram.database().is_ok());
        assert!(bad_telegram.telegram().is_err());
        // What every command uses stops every command.
        assert!(LoadedSettings::from_sources(None, env(&[("LOG_FORMAT", "xml")])).is_err());
    }
}
