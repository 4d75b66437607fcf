//! The seed's API style (`KLING_API_STYLE` unset or `generic`): a bearer API key,
//! `KLING_CREATE_ENDPOINT`/`KLING_STATUS_ENDPOINT`, free-form JSON answers.

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use url::Url;

use super::api;
use super::fields::{self, Status};
use super::messages;
use crate::download::Credentials;
use crate::provider::document::Document;
use crate::provider::http::{self, Reply};
use crate::provider::{
    GenerationJob, InputImage, ProviderError, SetupError, TaskState, VideoSource,
};
use crate::settings::KlingSettings;

/// The generic style's endpoints and headers.
#[derive(Debug)]
pub struct GenericApi {
    client: reqwest::Client,
    create_url: Url,
    base: Url,
    status_endpoint: String,
    headers: HeaderMap,
    max_body: u64,
}

impl GenericApi {
    /// Builds the API from settings; `None` without `KLING_API_KEY`.
    pub fn new(
        settings: &KlingSettings,
        client: reqwest::Client,
        max_body: u64,
    ) -> Result<Option<Self>, SetupError> {
        let Some(key) = &settings.api_key else {
            return Ok(None);
        };
        let header = |value: &str| {
            HeaderValue::from_str(value).map(|mut value| {
                value.set_sensitive(true);
                value
            })
        };
        let mut headers = HeaderMap::new();
        let key = key.expose_secret();
        headers.insert(
            AUTHORIZATION,
            header(&format!("Bearer {key}"))
                .map_err(|_| SetupError::InvalidHeader("KLING_API_KEY"))?,
        );
        headers.insert(
            HeaderName::from_static("x-api-key"),
            header(key).map_err(|_| SetupError::InvalidHeader("KLING_API_KEY"))?,
        );
        if let Some(secret) = &settings.api_secret {
            headers.insert(
                HeaderName::from_static("x-api-secret"),
                header(secret.expose_secret())
                    .map_err(|_| SetupError::InvalidHeader("KLING_API_SECRET"))?,
            );
        }
        if let Some(org) = &settings.organization_id {
            headers.insert(
                HeaderName::from_static("x-kling-org"),
                header(org).map_err(|_| SetupError::InvalidHeader("KLING_ORGANIZATION_ID"))?,
            );
        }
        for (name, value) in &settings.extra_headers {
            headers.insert(name.clone(), value.clone());
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let create_url = settings
            .api_base_url
            .join(&settings.create_endpoint)
            .map_err(|source| SetupError::Endpoint {
                setting: "KLING_CREATE_ENDPOINT",
                source,
            })?;
        Ok(Some(Self {
            client,
            create_url,
            base: settings.api_base_url.clone(),
            status_endpoint: settings.status_endpoint.clone(),
            headers,
            max_body,
        }))
    }

    /// The API origin and its headers, for downloads from that same origin only.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            origin: self.base.origin(),
            headers: self.headers.clone(),
        }
    }

    /// Creates the task: its id and the create response.
    pub async fn create(
        &self,
        job: &GenerationJob,
        image: Option<&InputImage>,
    ) -> Result<(String, Document), ProviderError> {
        let body = super::body::create_body(job, image);
        // Only a rate limit is retried here: after any other failure Kling may
        // have created the task, and the generic API has no way to find it again.
        let reply = http::with_retries(http::rate_limited, || {
            let request = self
                .client
                .post(self.create_url.clone())
                .headers(self.headers.clone())
                .json(&body);
            self.checked("create", request)
        })
        .await?;
        let document = Document::parse(reply.body)
            .map_err(|error| ProviderError::fatal(messages::invalid_response(error)))?;
        let id = fields::task_id(&document.value)
            .ok_or_else(|| ProviderError::fatal(messages::no_task_id()))?;
        Ok((id, document))
    }

    /// Reads the task's status.
    pub async fn status(&self, task_id: &str) -> Result<Document, ProviderError> {
        let path = self
            .status_endpoint
            .replace("{job_id}", &urlencode(task_id));
        let url = self
            .base
            .join(&path)
            .map_err(|error| ProviderError::fatal(format!("KLING_STATUS_ENDPOINT: {error}")))?;
        let reply = http::with_retries(http::any_retryable, || {
            self.checked(
                "status",
                self.client.get(url.clone()).headers(self.headers.clone()),
            )
        })
        .await?;
        parse_retryable(reply.body)
    }

    async fn checked(
        &self,
        call: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Reply, ProviderError> {
        let reply = api::execute(call, request, self.max_body).await?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(api::status_error(&reply))
        }
    }
}

/// Where a generic task stands; a succeeded one's video is its base64 data
/// (with its first video URL as the fallback), else that URL.
pub fn state(
    document: &Document,
    task_id: &str,
    api: &GenericApi,
) -> Result<TaskState, ProviderError> {
    Ok(match fields::status(&document.value) {
        Status::Succeeded => TaskState::Succeeded(video(document, api)?),
        Status::Pending => TaskState::Pending,
        Status::Failed => TaskState::Failed(match fields::failure_message(&document.value) {
            Some(message) => messages::rejected(task_id, &message),
            None => messages::failed_status(task_id),
        }),
    })
}

fn video(document: &Document, api: &GenericApi) -> Result<VideoSource, ProviderError> {
    let url = fields::video_url(&document.value).map(|url| VideoSource::Url {
        url,
        credentials: Some(api.credentials()),
    });
    match (fields::base64_video(document), url) {
        (Some(data), fallback) => Ok(VideoSource::Base64 {
            data,
            fallback: fallback.map(Box::new),
        }),
        (None, Some(url)) => Ok(url),
        (None, None) => Err(ProviderError::fatal(messages::no_video())),
    }
}

/// A malformed answer to a read is worth another read.
pub fn parse_retryable(body: Bytes) -> Result<Document, ProviderError> {
    Document::parse(body).map_err(|error| ProviderError::retryable(messages::invalid_json(error)))
}

fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}
