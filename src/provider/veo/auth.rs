//! Vertex AI's credentials: the service-account key read as the bot reads it
//! (`GOOGLE_APPLICATION_CREDENTIALS_JSON` is the JSON itself, literal newlines
//! in strings allowed, or a path to it; base64 is not accepted), and OAuth2
//! access tokens for the `cloud-platform` scope, obtained, cached and
//! refreshed by yup-oauth2's service-account flow (a JWT-bearer grant to the
//! key's `token_uri`, or `GOOGLE_OAUTH_TOKEN_URL`).

use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls_platform_verifier::ConfigVerifierExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;
use url::Url;
use yup_oauth2::authenticator::Authenticator;
use yup_oauth2::{CustomHyperClientBuilder, ServiceAccountAuthenticator, ServiceAccountKey};

use super::messages;
use crate::provider::ProviderError;

/// The one scope the bot asks for; it covers Vertex AI and Cloud Storage.
const SCOPES: [&str; 1] = ["https://www.googleapis.com/auth/cloud-platform"];

/// Why the service-account key cannot be used, or the client that gets its
/// tokens cannot be built. The key's value is never shown.
#[derive(Debug, thiserror::Error)]
pub enum GoogleAuthError {
    /// The setting is neither the key's JSON nor the path of a readable file.
    #[error(
        "GOOGLE_APPLICATION_CREDENTIALS_JSON is neither JSON nor a readable file ({0}); give \
         the key's JSON or its path (base64 is not accepted)"
    )]
    Unreadable(std::io::ErrorKind),
    /// The JSON is not a service-account key.
    #[error("GOOGLE_APPLICATION_CREDENTIALS_JSON is not a service-account key: {0}")]
    NotAKey(#[source] serde_json::Error),
    /// The key lacks its `client_email` or `private_key`.
    #[error("GOOGLE_APPLICATION_CREDENTIALS_JSON has no client_email or private_key")]
    Incomplete,
    /// The key's `token_uri` is not an http(s) URL and no other is set.
    #[error(
        "the service account's token_uri `{0}` is not an http(s) URL; fix the key or set \
         GOOGLE_OAUTH_TOKEN_URL"
    )]
    TokenUri(String),
    /// The TLS configuration for the token endpoint could not be made.
    #[error("TLS set-up: {0}")]
    Tls(#[source] rustls::Error),
    /// yup-oauth2's authenticator could not be built.
    #[error("the OAuth2 client: {0}")]
    OAuthClient(#[source] std::io::Error),
}

/// Reads the key: JSON when the value starts with `{` or `[`, else a file path.
pub fn read_key(value: &SecretString) -> Result<ServiceAccountKey, GoogleAuthError> {
    let raw = value.expose_secret();
    let trimmed = raw.trim();
    let text = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        trimmed.to_owned()
    } else {
        std::fs::read_to_string(raw).map_err(|error| GoogleAuthError::Unreadable(error.kind()))?
    };
    let key: ServiceAccountKey = serde_json::from_str(&escape_control_characters(&text))
        .map_err(GoogleAuthError::NotAKey)?;
    if key.client_email.trim().is_empty() || key.private_key.trim().is_empty() {
        return Err(GoogleAuthError::Incomplete);
    }
    Ok(key)
}

/// The token endpoint must be an http(s) URL (yup-oauth2 cannot use another).
fn check_token_uri(uri: &str) -> Result<(), GoogleAuthError> {
    match Url::parse(uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Ok(()),
        _ => Err(GoogleAuthError::TokenUri(uri.to_owned())),
    }
}

/// Control characters inside JSON strings escaped, as Python's non-strict
/// parser accepts them (a multi-line `private_key` pasted into a variable).
fn escape_control_characters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for ch in text.chars() {
        match ch {
            _ if escaped => {
                escaped = false;
                out.push(ch);
            }
            '\\' if in_string => {
                escaped = true;
                out.push(ch);
            }
            '"' => {
                in_string = !in_string;
                out.push(ch);
            }
            '\n' if in_string => out.push_str("\\n"),
            '\r' if in_string => out.push_str("\\r"),
            '\t' if in_string => out.push_str("\\t"),
            ch if in_string && ch.is_control() => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out
}

type Connector = HttpsConnector<HttpConnector>;

/// Access tokens for one service account.
pub struct GoogleAuth {
    key: ServiceAccountKey,
    timeout: Duration,
    authenticator: OnceCell<Authenticator<Connector>>,
}

impl std::fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is never printed.
        f.debug_struct("GoogleAuth")
            .field("client_email", &self.key.client_email)
            .field("token_uri", &self.key.token_uri)
            .finish_non_exhaustive()
    }
}

impl GoogleAuth {
    /// Tokens for `key`, obtained at `token_url` when given (else the key's
    /// `token_uri`, which must then be an http(s) URL), each request given `timeout`.
    pub fn new(
        mut key: ServiceAccountKey,
        token_url: Option<&Url>,
        timeout: Duration,
    ) -> Result<Self, GoogleAuthError> {
        match token_url {
            Some(url) => key.token_uri = url.to_string(),
            None => check_token_uri(&key.token_uri)?,
        }
        Ok(Self {
            key,
            timeout,
            authenticator: OnceCell::new(),
        })
    }

    /// A current access token (cached until a minute before it expires).
    pub async fn token(&self) -> Result<SecretString, ProviderError> {
        self.get(false).await
    }

    /// A token just obtained (a full hour left), for a download that may wait
    /// its turn behind others before it starts.
    pub async fn fresh_token(&self) -> Result<SecretString, ProviderError> {
        self.get(true).await
    }

    /// A refused grant or a bad key is the operator's
    /// ([`ProviderError::Unauthorized`]); a token endpoint that cannot be
    /// reached or answers garbage may pass on retry.
    async fn get(&self, fresh: bool) -> Result<SecretString, ProviderError> {
        let refused = |reason: &dyn std::fmt::Display| {
            ProviderError::Unauthorized(messages::token_failed(reason))
        };
        let authenticator = self
            .authenticator
            .get_or_try_init(|| self.build())
            .await
            .map_err(|error| refused(&error))?;
        let token = if fresh {
            authenticator.force_refreshed_token(&SCOPES).await
        } else {
            authenticator.token(&SCOPES).await
        }
        .map_err(|error| match error {
            yup_oauth2::Error::HttpError(_)
            | yup_oauth2::Error::HttpClientError(_)
            | yup_oauth2::Error::LowLevelError(_)
            | yup_oauth2::Error::JSONError(_) => {
                ProviderError::retryable(messages::token_failed(error))
            }
            other => refused(&other),
        })?;
        token
            .token()
            .filter(|token| !token.is_empty())
            .map(|token| SecretString::from(token.to_owned()))
            .ok_or_else(|| refused(&"the token endpoint returned no access token"))
    }

    async fn build(&self) -> Result<Authenticator<Connector>, GoogleAuthError> {
        crate::net::install_crypto_provider();
        let tls = rustls::ClientConfig::with_platform_verifier().map_err(GoogleAuthError::Tls)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build::<_, String>(connector);
        ServiceAccountAuthenticator::with_client(
            self.key.clone(),
            CustomHyperClientBuilder::from(client),
        )
        .with_timeout(self.timeout)
        .build()
        .await
        .map_err(GoogleAuthError::OAuthClient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#"{"type": "service_account", "project_id": "p",
        "private_key_id": "1", "private_key": "-----BEGIN PRIVATE KEY-----
MII
-----END PRIVATE KEY-----
", "client_email": "sa@p.iam.gserviceaccount.com", "client_id": "2",
        "token_uri": "https://oauth2.googleapis.com/token"}"#;

    #[test]
    fn a_pasted_key_with_literal_newlines_reads_and_so_does_its_file() {
        let key = read_key(&SecretString::from(format!("  {KEY}\n"))).unwrap();
        assert_eq!(key.client_email, "sa@p.iam.gserviceaccount.com");
        assert!(key.private_key.contains("\nMII\n"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sa.json");
        std::fs::write(&path, KEY).unwrap();
        let key = read_key(&SecretString::from(path.display().to_string())).unwrap();
        assert_eq!(key.token_uri, "https://oauth2.googleapis.com/token");
    }

    #[test]
    fn base64_bad_json_and_incomplete_keys_are_refused_without_their_value() {
        let error = read_key(&SecretString::from("eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0="))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("neither JSON nor a readable file"),
            "{error}"
        );
        assert!(!error.contains("eyJ0"), "{error}");
        let error = read_key(&SecretString::from("{\"type\": "))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a service-account key"), "{error}");
        let error = read_key(&SecretString::from(
            r#"{"private_key": "", "client_email": "", "token_uri": "t"}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("no client_email"), "{error}");
    }

    #[test]
    fn the_token_url_setting_replaces_the_keys() {
        let key = read_key(&SecretString::from(KEY)).unwrap();
        let url = Url::parse("http://127.0.0.1:9/token").unwrap();
        let auth = GoogleAuth::new(key.clone(), Some(&url), Duration::from_secs(1)).unwrap();
        assert_eq!(auth.key.token_uri, "http://127.0.0.1:9/token");
        assert!(!format!("{auth:?}").contains("PRIVATE"));
        let mut broken = key;
        broken.token_uri = "oauth2.googleapis.com/token".into();
        let error = GoogleAuth::new(broken.clone(), None, Duration::from_secs(1))
            .unwrap_err()
            .to_string();
        assert!(error.contains("GOOGLE_OAUTH_TOKEN_URL"), "{error}");
        assert!(GoogleAuth::new(broken, Some(&url), Duration::from_secs(1)).is_ok());
    }
}
