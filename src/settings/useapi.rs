//! Kling through useapi.net (`KLING_API_STYLE=useapi`), with the bot's own
//! variables at its latest release: `USEAPI_API_KEY` (else `KLING_API_KEY`),
//! `USEAPI_BASE_URL`, `USEAPI_POLL_INTERVAL`, `USEAPI_POLL_TIMEOUT`,
//! `USEAPI_REQUEST_TIMEOUT`, `USEAPI_KLING_MAX_JOBS` (else `USEAPI_MAX_JOBS`),
//! `USEAPI_KLING_ACCOUNT_EMAIL`, `USEAPI_KLING_ACCOUNT_PASSWORD`.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::SettingsError;
use super::source::{Source, seconds};

/// The bot's `maxJobs` when its setting is unset or not a whole number.
const DEFAULT_MAX_JOBS: u32 = 5;

/// What the useapi.net style is configured with.
#[derive(Debug, Clone)]
pub struct UseapiSettings {
    /// `USEAPI_API_KEY` (the bot's; `KLING_API_KEY` is its fallback).
    pub api_key: Option<SecretString>,
    /// `USEAPI_BASE_URL` (default `https://api.useapi.net`), without a trailing
    /// `/` or `/v1`, as the bot strips them.
    pub base_url: Url,
    /// `USEAPI_POLL_INTERVAL` (default 5 s).
    pub poll_interval: Duration,
    /// `USEAPI_POLL_TIMEOUT` (default 720 s).
    pub poll_timeout: Duration,
    /// `USEAPI_REQUEST_TIMEOUT`: one HTTP request (default 180 s).
    pub request_timeout: Duration,
    /// `USEAPI_KLING_MAX_JOBS`, else `USEAPI_MAX_JOBS`: the account's parallel
    /// jobs, sent as `maxJobs` and genworker's Kling concurrency (default 5, 1..50).
    pub max_jobs: u32,
    /// `USEAPI_KLING_ACCOUNT_EMAIL`: sent as `email` with every call.
    pub account_email: Option<String>,
    /// `USEAPI_KLING_ACCOUNT_PASSWORD`: with the email, the account set-up call.
    pub account_password: Option<SecretString>,
}

impl UseapiSettings {
    pub(super) fn read(source: &Source) -> Result<Self, SettingsError> {
        let api_key = match source.raw("USEAPI_API_KEY")? {
            Some(key) => Some(key),
            None => source.raw("KLING_API_KEY")?,
        };
        let base = source
            .raw("USEAPI_BASE_URL")?
            .unwrap_or_else(|| "https://api.useapi.net".to_owned());
        let trimmed = base.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
        let base_url = Url::parse(trimmed)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| SettingsError::invalid("USEAPI_BASE_URL", "expected an http(s) URL"))?;
        let max_jobs = match source.raw("USEAPI_KLING_MAX_JOBS")? {
            Some(value) => Some(value),
            None => source.raw("USEAPI_MAX_JOBS")?,
        };
        Ok(Self {
            api_key: api_key.map(SecretString::from),
            base_url,
            poll_interval: source.parse_with(
                "USEAPI_POLL_INTERVAL",
                Duration::from_secs(5),
                seconds,
            )?,
            poll_timeout: source.parse_with(
                "USEAPI_POLL_TIMEOUT",
                Duration::from_secs(720),
                seconds,
            )?,
            request_timeout: source.parse_with(
                "USEAPI_REQUEST_TIMEOUT",
                Duration::from_secs(180),
                seconds,
            )?,
            max_jobs: sanitize_max_jobs(max_jobs.as_deref()),
            account_email: source
                .raw("USEAPI_KLING_ACCOUNT_EMAIL")?
                .map(|email| email.trim().to_owned()),
            account_password: source
                .raw("USEAPI_KLING_ACCOUNT_PASSWORD")?
                .map(SecretString::from),
        })
    }
}

/// The bot's rule: a whole number clamped to 1..50; anything else is 5.
pub fn sanitize_max_jobs(value: Option<&str>) -> u32 {
    value
        .and_then(|text| text.trim().parse::<i64>().ok())
        .map_or(DEFAULT_MAX_JOBS, |jobs| jobs.clamp(1, 50) as u32)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> UseapiSettings {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        UseapiSettings::read(&Source::read(None, env).unwrap()).unwrap()
    }

    #[test]
    fn the_bots_names_defaults_and_fallbacks() {
        let settings = read(&[("KLING_API_KEY", "k")]);
        assert_eq!(settings.base_url.as_str(), "https://api.useapi.net/");
        assert_eq!(settings.poll_interval, Duration::from_secs(5));
        assert_eq!(settings.poll_timeout, Duration::from_secs(720));
        assert_eq!(settings.request_timeout, Duration::from_secs(180));
        assert_eq!(settings.max_jobs, 5);
        assert!(settings.api_key.is_some());
        let settings = read(&[
            ("USEAPI_BASE_URL", "http://127.0.0.1:9/v1/"),
            ("USEAPI_MAX_JOBS", "80"),
        ]);
        assert_eq!(settings.base_url.as_str(), "http://127.0.0.1:9/");
        assert_eq!(settings.max_jobs, 50);
        assert!(settings.api_key.is_none());
        let settings = read(&[("USEAPI_KLING_MAX_JOBS", "0"), ("USEAPI_MAX_JOBS", "9")]);
        assert_eq!(settings.max_jobs, 1);
        assert_eq!(sanitize_max_jobs(Some("many")), 5);
    }
}
