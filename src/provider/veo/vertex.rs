//! Veo on Vertex AI (`VEO_API_STYLE=vertex`, the bot's): a service account's
//! Bearer token, `…/publishers/google/models/<model>:predictLongRunning`, and
//! `:fetchPredictOperation` on the model named in the operation. A `gs://`
//! result is downloaded through the Cloud Storage JSON API with the same token.

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use url::Url;

use super::api::JsonClient;
use super::auth::{GoogleAuth, read_key};
use super::messages;
use crate::download::Credentials;
use crate::provider::document::Document;
use crate::provider::http;
use crate::provider::{ProviderError, SetupError, VideoSource};
use crate::settings::VeoSettings;

/// The Vertex AI client.
#[derive(Debug)]
pub struct VertexApi {
    client: JsonClient,
    base: String,
    project: String,
    location: String,
    auth: GoogleAuth,
    storage: Url,
}

impl VertexApi {
    /// Builds the client, or says which setting is missing or wrong.
    pub fn new(settings: &VeoSettings, client: JsonClient) -> Result<Self, SetupError> {
        let key = read_key(
            settings
                .credentials_json
                .as_ref()
                .ok_or(SetupError::NotSet("GOOGLE_APPLICATION_CREDENTIALS_JSON"))?,
        )?;
        let project = settings
            .project_id
            .clone()
            .ok_or(SetupError::NotSet("VERTEX_PROJECT_ID / GCP_PROJECT_ID"))?;
        Ok(Self {
            client,
            base: settings
                .vertex_api_base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            project,
            location: settings.location.clone(),
            auth: GoogleAuth::new(
                key,
                settings.oauth_token_url.as_ref(),
                settings.request_timeout,
            )?,
            storage: settings.storage_base_url.clone(),
        })
    }

    fn url(&self, resource: &str, method: &str) -> Result<Url, ProviderError> {
        Url::parse(&format!("{}/v1/{resource}:{method}", self.base))
            .map_err(|error| ProviderError::fatal(format!("VERTEX_API_BASE_URL: {error}")))
    }

    async fn bearer(&self) -> Result<HeaderMap, ProviderError> {
        bearer(self.auth.token().await?)
    }

    /// Submits the body for `model`.
    pub async fn submit(&self, model: &str, body: &Value) -> Result<Document, ProviderError> {
        let resource = format!(
            "projects/{}/locations/{}/publishers/google/models/{model}",
            self.project, self.location
        );
        let url = self.url(&resource, "predictLongRunning")?;
        // Only a rate limit is retried here: after any other failure an
        // operation may exist, and Vertex cannot find it again.
        http::with_retries(http::rate_limited, || async {
            let request = self
                .client
                .http
                .post(url.clone())
                .headers(self.bearer().await?)
                .json(body);
            self.client
                .send("submit", &url, request, ProviderError::Fatal)
                .await
        })
        .await
    }

    /// Reads the operation, on the model its name holds.
    pub async fn poll(&self, name: &str) -> Result<Document, ProviderError> {
        let resource = super::model_resource(name, "projects/")?;
        let url = self.url(resource, "fetchPredictOperation")?;
        let body = json!({"operationName": name});
        http::with_retries(http::any_retryable, || async {
            let request = self
                .client
                .http
                .post(url.clone())
                .headers(self.bearer().await?)
                .json(&body);
            self.client
                .send("poll", &url, request, |message| {
                    ProviderError::retryable(message)
                })
                .await
        })
        .await
    }

    /// Where a result URI is: `gs://bucket/object` through the storage API, an
    /// http(s) URL as it is; the token goes to the storage origin only.
    pub async fn source(&self, uri: &str) -> Result<VideoSource, ProviderError> {
        let url = if let Some(path) = uri.strip_prefix("gs://") {
            let (bucket, object) = path.split_once('/').unwrap_or((path, ""));
            if bucket.is_empty() || object.is_empty() {
                return Err(ProviderError::fatal(messages::invalid_gcs_uri(uri)));
            }
            let object = quote(object);
            let mut url = self.storage.clone();
            url.set_path(&format!(
                "{}/download/storage/v1/b/{bucket}/o/{object}",
                self.storage.path().trim_end_matches('/')
            ));
            url.set_query(Some("alt=media"));
            url
        } else if uri.starts_with("http://") || uri.starts_with("https://") {
            Url::parse(uri).map_err(|_| ProviderError::fatal(messages::unknown_uri(uri)))?
        } else {
            return Err(ProviderError::fatal(messages::unknown_uri(uri)));
        };
        // A fresh token: the download may wait its turn behind others.
        Ok(VideoSource::Url {
            url,
            credentials: Some(Credentials {
                origin: self.storage.origin(),
                headers: bearer(self.auth.fresh_token().await?)?,
            }),
        })
    }
}

/// `Authorization: Bearer <token>`, marked sensitive.
fn bearer(token: secrecy::SecretString) -> Result<HeaderMap, ProviderError> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            ProviderError::Unauthorized(messages::token_failed(
                "the access token is not a valid header value",
            ))
        })?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    Ok(headers)
}

/// Python's `urllib.parse.quote(text, safe="")`: everything but letters,
/// digits and `_.-~` percent-encoded (`/` too).
fn quote(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace('*', "%2A")
        .replace("%7E", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_quoted_as_the_bot_quotes_them() {
        assert_eq!(quote("veo/out dir/x.mp4"), "veo%2Fout%20dir%2Fx.mp4");
        assert_eq!(quote("a~b*c+d"), "a~b%2Ac%2Bd");
    }
}
