//! Veo settings: the bot's variables (`GOOGLE_APPLICATION_CREDENTIALS_JSON`,
//! `VERTEX_PROJECT_ID` / `GCP_PROJECT_ID`, `VERTEX_LOCATION` / `GCP_LOCATION`),
//! the Gemini API's key (`GEMINI_API_KEY`), and genworker's `VEO_API_STYLE`,
//! base URLs (`VERTEX_API_BASE_URL`, `GEMINI_API_BASE_URL`,
//! `GOOGLE_OAUTH_TOKEN_URL`, `GOOGLE_STORAGE_BASE_URL`) and limits
//! (`VEO_POLL_INTERVAL`, `VEO_POLL_TIMEOUT`, `VEO_REQUEST_TIMEOUT`,
//! `VEO_MAX_CONCURRENT`, `VEO_MAX_VIDEO_MB`).

use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::SettingsError;
use super::source::{Source, positive, seconds};

/// Which Google API serves Veo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VeoApiStyle {
    /// Vertex AI with a service account (the bot's).
    Vertex,
    /// The Gemini API with an API key.
    Gemini,
}

impl FromStr for VeoApiStyle {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "vertex" => Ok(Self::Vertex),
            "gemini" => Ok(Self::Gemini),
            _ => Err(format!("expected `vertex` or `gemini`, got `{value}`")),
        }
    }
}

/// Everything the Veo provider is configured with.
#[derive(Debug, Clone)]
pub struct VeoSettings {
    /// `VEO_API_STYLE`: `vertex` (default) or `gemini`.
    pub api_style: VeoApiStyle,
    /// `GOOGLE_APPLICATION_CREDENTIALS_JSON`: the service-account key JSON, or a path to it.
    pub credentials_json: Option<SecretString>,
    /// `VERTEX_PROJECT_ID`, else `GCP_PROJECT_ID`.
    pub project_id: Option<String>,
    /// `VERTEX_LOCATION`, else `GCP_LOCATION`, else `us-central1`.
    pub location: String,
    /// `GEMINI_API_KEY` (the gemini style).
    pub gemini_api_key: Option<SecretString>,
    /// `VERTEX_API_BASE_URL` (default `https://<location>-aiplatform.googleapis.com`).
    pub vertex_api_base_url: Url,
    /// `GEMINI_API_BASE_URL` (default `https://generativelanguage.googleapis.com`).
    pub gemini_api_base_url: Url,
    /// `GOOGLE_OAUTH_TOKEN_URL`: where tokens are obtained (default: the key's `token_uri`).
    pub oauth_token_url: Option<Url>,
    /// `GOOGLE_STORAGE_BASE_URL`: where `gs://` results are downloaded
    /// (default `https://storage.googleapis.com`).
    pub storage_base_url: Url,
    /// `VEO_POLL_INTERVAL` (default 5 s, the bot's).
    pub poll_interval: Duration,
    /// `VEO_POLL_TIMEOUT` (default 900 s, the bot's 15 minutes).
    pub poll_timeout: Duration,
    /// `VEO_REQUEST_TIMEOUT`: one HTTP request (default 300 s, the bot's).
    pub request_timeout: Duration,
    /// `VEO_MAX_CONCURRENT`: Veo operations in flight per process (default 10).
    pub max_concurrent: u32,
    /// `VEO_MAX_VIDEO_MB` (default 1024), as bytes.
    pub max_video_bytes: u64,
}

impl VeoSettings {
    /// Whether the chosen style's credential is set (the key JSON for
    /// `vertex`, `GEMINI_API_KEY` for `gemini`): Veo is meant to run here.
    pub fn has_credentials(&self) -> bool {
        match self.api_style {
            VeoApiStyle::Vertex => self.credentials_json.is_some(),
            VeoApiStyle::Gemini => self.gemini_api_key.is_some(),
        }
    }

    pub(super) fn read(source: &Source) -> Result<Self, SettingsError> {
        let location = match source.raw("VERTEX_LOCATION")? {
            Some(location) => location,
            None => source
                .raw("GCP_LOCATION")?
                .unwrap_or_else(|| "us-central1".to_owned()),
        }
        .trim()
        .to_owned();
        let project_id = match source.raw("VERTEX_PROJECT_ID")? {
            Some(project) => Some(project),
            None => source.raw("GCP_PROJECT_ID")?,
        }
        .map(|project| project.trim().to_owned());
        if location.is_empty()
            || !location
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            return Err(SettingsError::invalid(
                "VERTEX_LOCATION",
                format!("`{location}` is not a region such as us-central1"),
            ));
        }
        if let Some(project) = &project_id
            && !project
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | ':' | '_'))
        {
            return Err(SettingsError::invalid(
                "VERTEX_PROJECT_ID",
                format!("`{project}` is not a Google Cloud project id"),
            ));
        }
        let vertex_default = format!("https://{location}-aiplatform.googleapis.com");
        Ok(Self {
            api_style: source.parse_or("VEO_API_STYLE", || Ok(VeoApiStyle::Vertex))?,
            credentials_json: source
                .raw("GOOGLE_APPLICATION_CREDENTIALS_JSON")?
                .map(SecretString::from),
            project_id,
            gemini_api_key: source.raw("GEMINI_API_KEY")?.map(SecretString::from),
            vertex_api_base_url: base_url(source, "VERTEX_API_BASE_URL", &vertex_default)?,
            gemini_api_base_url: base_url(
                source,
                "GEMINI_API_BASE_URL",
                "https://generativelanguage.googleapis.com",
            )?,
            oauth_token_url: source
                .raw("GOOGLE_OAUTH_TOKEN_URL")?
                .map(|_| {
                    base_url(
                        source,
                        "GOOGLE_OAUTH_TOKEN_URL",
                        "https://oauth2.googleapis.com/token",
                    )
                })
                .transpose()?,
            storage_base_url: base_url(
                source,
                "GOOGLE_STORAGE_BASE_URL",
                "https://storage.googleapis.com",
            )?,
            location,
            poll_interval: source.parse_with(
                "VEO_POLL_INTERVAL",
                Duration::from_secs(5),
                seconds,
            )?,
            poll_timeout: source.parse_with(
                "VEO_POLL_TIMEOUT",
                Duration::from_secs(900),
                seconds,
            )?,
            request_timeout: source.parse_with(
                "VEO_REQUEST_TIMEOUT",
                Duration::from_secs(300),
                seconds,
            )?,
            max_concurrent: source.parse_with("VEO_MAX_CONCURRENT", 10, positive)?,
            max_video_bytes: u64::from(source.parse_with("VEO_MAX_VIDEO_MB", 1024, positive)?)
                * 1024
                * 1024,
        })
    }
}

/// An http(s) URL with a host, from `variable` or `default`.
fn base_url(source: &Source, variable: &'static str, default: &str) -> Result<Url, SettingsError> {
    let url = source.parse_or(variable, || Url::parse(default))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError::invalid(variable, "expected an http(s) URL"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<VeoSettings, SettingsError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        VeoSettings::read(&Source::read(None, env)?)
    }

    #[test]
    fn the_bots_fallbacks_and_defaults() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings.api_style, VeoApiStyle::Vertex);
        assert_eq!(settings.location, "us-central1");
        assert_eq!(
            settings.vertex_api_base_url.as_str(),
            "https://us-central1-aiplatform.googleapis.com/"
        );
        assert_eq!(settings.poll_interval, Duration::from_secs(5));
        assert_eq!(settings.poll_timeout, Duration::from_secs(900));
        assert!(settings.project_id.is_none());
        let settings = read(&[
            ("GCP_PROJECT_ID", "gcp"),
            ("GCP_LOCATION", "europe-west4"),
            ("VEO_API_STYLE", "Gemini"),
        ])
        .unwrap();
        assert_eq!(settings.project_id.as_deref(), Some("gcp"));
        assert_eq!(settings.location, "europe-west4");
        assert_eq!(settings.api_style, VeoApiStyle::Gemini);
        assert_eq!(
            settings.vertex_api_base_url.as_str(),
            "https://europe-west4-aiplatform.googleapis.com/"
        );
        let settings = read(&[
            ("VERTEX_PROJECT_ID", "vertex"),
            ("GCP_PROJECT_ID", "gcp"),
            ("VERTEX_LOCATION", "us-east5"),
            ("GCP_LOCATION", "europe-west4"),
        ])
        .unwrap();
        assert_eq!(settings.project_id.as_deref(), Some("vertex"));
        assert_eq!(settings.location, "us-east5");
    }

    #[test]
    fn bad_values_are_refused_with_their_variable() {
        let error = read(&[("VEO_API_STYLE", "aws")]).unwrap_err().to_string();
        assert!(error.contains("VEO_API_STYLE"), "{error}");
        let error = read(&[("GEMINI_API_BASE_URL", "ftp://x")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("GEMINI_API_BASE_URL"), "{error}");
        let error = read(&[("VERTEX_LOCATION", "evil.com/x")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("VERTEX_LOCATION"), "{error}");
        let error = read(&[("GCP_PROJECT_ID", "p/../q")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("VERTEX_PROJECT_ID"), "{error}");
    }
}
