//! Kling settings: the seed's variables (`KLING_API_KEY`, `KLING_API_SECRET`,
//! `KLING_ORGANIZATION_ID`, `KLING_API_BASE_URL`, `KLING_CREATE_ENDPOINT`,
//! `KLING_STATUS_ENDPOINT`, `KLING_POLL_INTERVAL`, `KLING_POLL_TIMEOUT`,
//! `KLING_REQUEST_TIMEOUT`, `KLING_EXTRA_HEADERS`) plus genworker's
//! `KLING_API_STYLE`, `KLING_MAX_VIDEO_MB`, `KLING_MAX_CONCURRENT`.

use std::str::FromStr;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;
use url::Url;

use super::SettingsError;
use super::source::{Source, positive, seconds};
use super::useapi::UseapiSettings;

/// Which Kling HTTP API is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlingApiStyle {
    /// The seed's API: bearer key, `/v1/video/generations`, free-form JSON.
    Generic,
    /// The public Kling API: JWT, `/v1/videos/<kind>`, `{code, message, data}` envelopes.
    Official,
    /// Kling through useapi.net, as the bot's latest release calls it.
    Useapi,
}

impl FromStr for KlingApiStyle {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "generic" => Ok(Self::Generic),
            "official" => Ok(Self::Official),
            "useapi" => Ok(Self::Useapi),
            _ => Err(format!(
                "expected `generic`, `official` or `useapi`, got `{value}`"
            )),
        }
    }
}

/// Everything the Kling provider is configured with.
#[derive(Debug, Clone)]
pub struct KlingSettings {
    /// `KLING_API_KEY`; without it the provider is not registered.
    pub api_key: Option<SecretString>,
    /// `KLING_API_SECRET`: `X-API-Secret` (generic) or the JWT signing key (official).
    pub api_secret: Option<SecretString>,
    /// `KLING_ORGANIZATION_ID` → `X-Kling-Org`.
    pub organization_id: Option<String>,
    /// `KLING_API_BASE_URL` (default `https://api.klingai.com`).
    pub api_base_url: Url,
    /// `KLING_CREATE_ENDPOINT` (generic style; default `/v1/video/generations`).
    pub create_endpoint: String,
    /// `KLING_STATUS_ENDPOINT` with `{job_id}` (generic style).
    pub status_endpoint: String,
    /// `KLING_POLL_INTERVAL` (default 5 s).
    pub poll_interval: Duration,
    /// `KLING_CALLBACK_POLL_INTERVAL` (default 60 s): the official style's polls
    /// while callbacks are on (`GENWORKER_CALLBACK_URL`), a fallback for a lost one.
    pub callback_poll_interval: Duration,
    /// `KLING_POLL_TIMEOUT` (default 720 s).
    pub poll_timeout: Duration,
    /// `KLING_REQUEST_TIMEOUT`: one HTTP request (default 60 s).
    pub request_timeout: Duration,
    /// `KLING_EXTRA_HEADERS`: a JSON object of strings, sent with every API call.
    pub extra_headers: Vec<(HeaderName, HeaderValue)>,
    /// `KLING_API_STYLE`: `generic` (default), `official` or `useapi`.
    pub api_style: KlingApiStyle,
    /// `KLING_MAX_VIDEO_MB` (default 1024), as bytes.
    pub max_video_bytes: u64,
    /// `KLING_MAX_CONCURRENT`: Kling tasks in flight per process (default 20).
    pub max_concurrent: u32,
    /// The useapi.net style's own variables, read only in that style (so a bad
    /// one never stops the others; the bot's Runway provider shares them).
    pub useapi: Option<UseapiSettings>,
}

impl KlingSettings {
    /// Whether the chosen style's key is set: Kling is meant to run here.
    pub fn has_credentials(&self) -> bool {
        match self.api_style {
            KlingApiStyle::Useapi => self
                .useapi
                .as_ref()
                .is_some_and(|useapi| useapi.api_key.is_some()),
            KlingApiStyle::Generic | KlingApiStyle::Official => self.api_key.is_some(),
        }
    }

    pub(super) fn read(source: &Source) -> Result<Self, SettingsError> {
        let base = source.parse_or("KLING_API_BASE_URL", || {
            Url::parse("https://api.klingai.com")
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(SettingsError::invalid(
                "KLING_API_BASE_URL",
                "expected an http(s) URL",
            ));
        }
        let status_endpoint = source
            .raw("KLING_STATUS_ENDPOINT")?
            .unwrap_or_else(|| "/v1/video/generations/{job_id}".to_owned());
        if !status_endpoint.contains("{job_id}") {
            return Err(SettingsError::invalid(
                "KLING_STATUS_ENDPOINT",
                "must contain {job_id}",
            ));
        }
        let api_style = source.parse_or("KLING_API_STYLE", || Ok(KlingApiStyle::Generic))?;
        Ok(Self {
            api_key: source.raw("KLING_API_KEY")?.map(SecretString::from),
            api_secret: source.raw("KLING_API_SECRET")?.map(SecretString::from),
            organization_id: source.raw("KLING_ORGANIZATION_ID")?,
            api_base_url: base,
            create_endpoint: source
                .raw("KLING_CREATE_ENDPOINT")?
                .unwrap_or_else(|| "/v1/video/generations".to_owned()),
            status_endpoint,
            poll_interval: source.parse_with(
                "KLING_POLL_INTERVAL",
                Duration::from_secs(5),
                seconds,
            )?,
            callback_poll_interval: source.parse_with(
                "KLING_CALLBACK_POLL_INTERVAL",
                Duration::from_secs(60),
                seconds,
            )?,
            poll_timeout: source.parse_with(
                "KLING_POLL_TIMEOUT",
                Duration::from_secs(720),
                seconds,
            )?,
            request_timeout: source.parse_with(
                "KLING_REQUEST_TIMEOUT",
                Duration::from_secs(60),
                seconds,
            )?,
            extra_headers: match source.raw("KLING_EXTRA_HEADERS")? {
                Some(json) => extra_headers(&json)
                    .map_err(|reason| SettingsError::invalid("KLING_EXTRA_HEADERS", reason))?,
                None => Vec::new(),
            },
            api_style,
            max_video_bytes: u64::from(source.parse_with("KLING_MAX_VIDEO_MB", 1024, positive)?)
                * 1024
                * 1024,
            max_concurrent: source.parse_with("KLING_MAX_CONCURRENT", 20, positive)?,
            useapi: match api_style {
                KlingApiStyle::Useapi => Some(UseapiSettings::read(source)?),
                KlingApiStyle::Generic | KlingApiStyle::Official => None,
            },
        })
    }
}

/// Parses `KLING_EXTRA_HEADERS`: a JSON object whose values are strings.
fn extra_headers(json: &str) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|error| format!("not JSON: {error}"))?;
    let serde_json::Value::Object(object) = value else {
        return Err("expected a JSON object of header names to strings".into());
    };
    object
        .into_iter()
        .map(|(name, value)| {
            let serde_json::Value::String(text) = value else {
                return Err(format!("the value of `{name}` is not a string"));
            };
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            let value = HeaderValue::from_str(&text)
                .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
            Ok((header, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_headers_must_be_an_object_of_strings() {
        let parsed = extra_headers(r#"{"X-Client": "nanobanana"}"#).unwrap();
        assert_eq!(parsed[0].0.as_str(), "x-client");
        assert_eq!(parsed[0].1, "nanobanana");
        assert!(extra_headers("[1]").unwrap_err().contains("JSON object"));
        assert!(
            extra_headers(r#"{"X-N": 5}"#)
                .unwrap_err()
                .contains("not a string")
        );
        assert!(
            extra_headers(r#"{"bad header": "x"}"#)
                .unwrap_err()
                .contains("header name")
        );
        assert!(extra_headers("{").unwrap_err().contains("not JSON"));
    }
}
