//! Veo on the Gemini API (`VEO_API_STYLE=gemini`): the `x-goog-api-key`
//! header, `models/<model>:predictLongRunning`, a `GET` of the returned
//! operation name, and the video URI downloaded with the key (on the API's own
//! origin only: a redirect elsewhere never carries it).

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use super::api::JsonClient;
use super::messages;
use crate::download::Credentials;
use crate::provider::document::Document;
use crate::provider::http;
use crate::provider::{ProviderError, SetupError, VideoSource};
use crate::settings::VeoSettings;

/// The Gemini API client.
#[derive(Debug)]
pub struct GeminiApi {
    client: JsonClient,
    base: Url,
    headers: HeaderMap,
}

impl GeminiApi {
    /// Builds the client; it needs `GEMINI_API_KEY`.
    pub fn new(settings: &VeoSettings, client: JsonClient) -> Result<Self, SetupError> {
        let key = settings
            .gemini_api_key
            .as_ref()
            .ok_or(SetupError::StyleNeeds {
                style: "VEO_API_STYLE=gemini",
                needs: "GEMINI_API_KEY",
            })?;
        let mut value = HeaderValue::from_str(key.expose_secret())
            .map_err(|_| SetupError::InvalidHeader("GEMINI_API_KEY"))?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static("x-goog-api-key"), value);
        Ok(Self {
            client,
            base: settings.gemini_api_base_url.clone(),
            headers,
        })
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        Url::parse(&format!(
            "{}/v1beta/{path}",
            self.base.as_str().trim_end_matches('/')
        ))
        .map_err(|error| ProviderError::fatal(format!("GEMINI_API_BASE_URL: {error}")))
    }

    /// Submits the body for `model`.
    pub async fn submit(&self, model: &str, body: &Value) -> Result<Document, ProviderError> {
        let url = self.url(&format!("models/{model}:predictLongRunning"))?;
        // Only a rate limit is retried here: after any other failure an
        // operation may exist, and the API cannot find it again.
        http::with_retries(http::rate_limited, || {
            let request = self
                .client
                .http
                .post(url.clone())
                .headers(self.headers.clone())
                .json(body);
            self.client
                .send("submit", &url, request, ProviderError::Fatal)
        })
        .await
    }

    /// Reads the operation: `GET <base>/v1beta/<name>`.
    pub async fn poll(&self, name: &str) -> Result<Document, ProviderError> {
        super::model_resource(name, "models/")?;
        let url = self.url(name)?;
        http::with_retries(http::any_retryable, || {
            let request = self
                .client
                .http
                .get(url.clone())
                .headers(self.headers.clone());
            self.client.send("poll", &url, request, |message| {
                ProviderError::retryable(message)
            })
        })
        .await
    }

    /// The result URI (http(s) only), with the key for the API's own origin.
    pub fn source(&self, uri: &str) -> Result<VideoSource, ProviderError> {
        let url = Url::parse(uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| ProviderError::fatal(messages::unknown_uri(uri)))?;
        Ok(VideoSource::Url {
            url,
            credentials: Some(Credentials {
                origin: self.base.origin(),
                headers: self.headers.clone(),
            }),
        })
    }
}
