//! Kling through useapi.net (`KLING_API_STYLE=useapi`), as the bot's latest
//! release calls it (../shared/bot/useapi_kling.md): a bearer key on every
//! call, the account set-up once before the first create, an input image
//! uploaded as an asset, `text2video` / `image2video-frames` / `omni`
//! creates, `GET /v1/kling/tasks/{id}` (then `/v1/tasks/{id}`) polls, and the
//! video's URL from the assets download (fetched without credentials).

mod body;
mod endpoint;
mod facts;
mod media;
mod messages;
mod params;
mod read;
mod reply;

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use url::Url;

use crate::download::Downloader;
use crate::i18n::UserText;
use crate::net::ClientError;
use crate::provider::document::Document;
use crate::provider::http::{self, CallError};
use crate::provider::{
    GenerationJob, InputImage, ProviderError, SetupError, TaskState, VideoSource,
};
use crate::settings::UseapiSettings;
use body::{Extras, Media, create_body};
pub use endpoint::Endpoint;
pub use facts::reported;
use media::Asset;
pub use messages::poll_timeout;
use params::{END_FRAME, REFERENCES, START_FRAME, media_param};
use read::Status;
use reply::{not_found, status_error};

/// Kling through useapi.net.
#[derive(Debug)]
pub struct UseapiApi {
    client: reqwest::Client,
    base: Url,
    headers: HeaderMap,
    max_jobs: u32,
    email: Option<String>,
    password: Option<secrecy::SecretString>,
    account_ready: OnceCell<()>,
    max_body: u64,
    /// Fetches the media a request names by address.
    media: Downloader,
}

impl UseapiApi {
    /// Builds the client; it needs `USEAPI_API_KEY` (or `KLING_API_KEY`).
    /// `media` fetches the images and videos a request names by address.
    pub fn new(
        useapi: &UseapiSettings,
        max_body: u64,
        media: Downloader,
    ) -> Result<Self, SetupError> {
        let key = useapi.api_key.as_ref().ok_or(SetupError::StyleNeeds {
            style: "KLING_API_STYLE=useapi",
            needs: "USEAPI_API_KEY (or KLING_API_KEY)",
        })?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
            .map_err(|_| SetupError::InvalidHeader("USEAPI_API_KEY"))?;
        bearer.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        // The bot's client follows redirects (reqwest drops the key on a hop to
        // another host).
        let client = crate::net::client_builder()
            .redirect(reqwest::redirect::Policy::limited(5))
            .timeout(useapi.request_timeout)
            .connect_timeout(Duration::from_secs(20).min(useapi.request_timeout))
            .build()
            .map_err(ClientError::from)?;
        Ok(Self {
            client,
            base: useapi.base_url.clone(),
            headers,
            max_jobs: useapi.max_jobs,
            email: useapi.account_email.clone(),
            password: useapi.account_password.clone(),
            account_ready: OnceCell::new(),
            max_body,
            media,
        })
    }

    /// `<base><path>?<query>`, the account email last on the calls the bot
    /// sends it with (polls, asset uploads and downloads).
    fn url(&self, path: &str, query: &[(&str, &str)], email: bool) -> Result<Url, ProviderError> {
        let mut url = Url::parse(&format!(
            "{}{path}",
            self.base.as_str().trim_end_matches('/')
        ))
        .map_err(|error| ProviderError::fatal(format!("USEAPI_BASE_URL: {error}")))?;
        let email = self.email.as_deref().filter(|_| email);
        if !query.is_empty() || email.is_some() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
            if let Some(email) = email {
                pairs.append_pair("email", email);
            }
        }
        Ok(url)
    }

    /// One call: its answer as a JSON object, or the bot's error for it (an
    /// answer that is no JSON object becomes `unparsable`'s).
    async fn call(
        &self,
        name: &'static str,
        request: reqwest::RequestBuilder,
        unparsable: fn(UserText) -> ProviderError,
    ) -> Result<Document, ProviderError> {
        let reply = http::execute(
            super::NAME,
            name,
            request.headers(self.headers.clone()),
            self.max_body,
        )
        .await
        .map_err(|error| match error {
            CallError::Transport { kind, detail } => {
                ProviderError::retryable(messages::transport(format!("{kind}: {detail}")))
            }
            CallError::TooLarge(max) => super::api::too_large(max),
        })?;
        if !reply.status.is_success() {
            return Err(status_error(&reply));
        }
        let document = Document::parse(reply.body.clone())
            .ok()
            .filter(|document| document.value.is_object())
            .ok_or_else(|| {
                unparsable(messages::not_an_object(String::from_utf8_lossy(
                    &reply.body,
                )))
            })?;
        Ok(document)
    }

    /// The account set-up the bot makes when both the email and the password
    /// are set: once per process, one retry after 2 s. A refusal is the operator's.
    async fn ensure_account(&self) -> Result<(), ProviderError> {
        let (Some(email), Some(password)) = (&self.email, &self.password) else {
            return Ok(());
        };
        self.account_ready
            .get_or_try_init(|| async {
                let body = json!({"email": email, "password": password.expose_secret(),
                                  "maxJobs": self.max_jobs});
                let url = self.url("/v1/kling/accounts", &[], false)?;
                let send = || {
                    self.call(
                        "account",
                        self.client.post(url.clone()).json(&body),
                        ProviderError::Fatal,
                    )
                };
                let outcome = match send().await {
                    Ok(_) => Ok(()),
                    Err(error) => {
                        tracing::warn!(%error, "useapi account set-up failed; trying once more");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        send().await.map(drop)
                    }
                };
                // The operator's, and never with the password, should the
                // server echo it.
                outcome.map_err(|error| match error {
                    retryable @ ProviderError::Retryable { .. } => retryable,
                    ProviderError::Fatal(text)
                    | ProviderError::TaskFailed(text)
                    | ProviderError::Unauthorized(text) => {
                        let hide = |line: String| line.replace(password.expose_secret(), "***");
                        ProviderError::Unauthorized(UserText::new(hide(text.ru), hide(text.en)))
                    }
                })
            })
            .await
            .map(|_| ())
    }

    /// The media URLs a create sends: image2video's start frame (named, else
    /// the input image; one is needed) and end frame; omni's `image_1`…`image_7`
    /// (the input image as `image_1` when none is named) and `video_1`.
    async fn media_of(
        &self,
        job: &GenerationJob,
        endpoint: Endpoint,
        image: Option<&InputImage>,
    ) -> Result<Media, ProviderError> {
        let mut media = Media::default();
        let params = &job.params;
        let input = || async {
            match image {
                Some(image) => self
                    .upload(image.bytes.clone(), &image.mime_type, Asset::Image)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        };
        match endpoint {
            Endpoint::TextToVideo => {}
            Endpoint::ImageFrames => {
                let start = match media_param(params, START_FRAME) {
                    Some(address) => Some(self.media_url(address, Asset::Image, image).await?),
                    None => input().await?,
                };
                media.frames = vec![(
                    "image",
                    start.ok_or_else(|| ProviderError::fatal(messages::no_image()))?,
                )];
                if let Some(address) = media_param(params, END_FRAME) {
                    media.frames.push((
                        "image_tail",
                        self.media_url(address, Asset::Image, image).await?,
                    ));
                }
            }
            Endpoint::Omni => {
                for (target, keys) in REFERENCES {
                    if let Some(address) = media_param(params, &keys) {
                        media
                            .frames
                            .push((target, self.media_url(address, Asset::Image, image).await?));
                    }
                }
                if !media.frames.iter().any(|(key, _)| *key == "image_1")
                    && let Some(url) = input().await?
                {
                    media.frames.push(("image_1", url));
                }
                if let Some(address) = media_param(params, &["video_1", "video1"]) {
                    media.frames.push((
                        "video_1",
                        self.media_url(address, Asset::Video, None).await?,
                    ));
                }
            }
        }
        Ok(media)
    }

    /// Creates the task: its id, the create answer and the body sent.
    pub async fn create(
        &self,
        job: &GenerationJob,
        image: Option<&InputImage>,
    ) -> Result<(String, Document, Value), ProviderError> {
        self.ensure_account().await?;
        let endpoint = Endpoint::of(job);
        let media = self.media_of(job, endpoint, image).await?;
        let body = create_body(
            job,
            endpoint,
            &Extras {
                max_jobs: self.max_jobs,
                email: self.email.as_deref(),
                media,
            },
        );
        let url = self.url(endpoint.path(), &[], false)?;
        // Only a rate limit is retried: after any other failure a task may
        // exist, and useapi.net cannot find it by anything genworker chose.
        let document = http::with_retries(http::rate_limited, || {
            self.call(
                "create",
                self.client.post(url.clone()).json(&body),
                ProviderError::Fatal,
            )
        })
        .await?;
        let id = read::task_id(&document.value).ok_or_else(|| {
            ProviderError::fatal(
                read::message(&document.value).map_or_else(messages::no_task_id, UserText::same),
            )
        })?;
        Ok((id, document, body))
    }

    /// Reads the task (`/v1/kling/tasks/{id}`, then `/v1/tasks/{id}`); a task
    /// neither knows yet is still pending, as the bot takes it. A failed read
    /// is the runner's to tolerate (no retries here, so a poll never outlives
    /// the timeout by much).
    pub async fn status(&self, task_id: &str) -> Result<Document, ProviderError> {
        let id = url::form_urlencoded::byte_serialize(task_id.as_bytes()).collect::<String>();
        for path in [format!("/v1/kling/tasks/{id}"), format!("/v1/tasks/{id}")] {
            let url = self.url(&path, &[], true)?;
            let request = self
                .client
                .get(url)
                .header(CONTENT_TYPE, "application/json");
            match self
                .call("status", request, |message| {
                    ProviderError::retryable(message)
                })
                .await
            {
                Err(error) if not_found(&error) => continue,
                other => return other,
            }
        }
        Document::parse(bytes::Bytes::from_static(b"{}"))
            .map_err(|error| ProviderError::retryable(messages::not_an_object(error)))
    }

    /// Where a task stands; a succeeded one's video comes from the assets
    /// download, else from the answer, fetched without credentials.
    pub async fn state(
        &self,
        job: &GenerationJob,
        document: &Document,
    ) -> Result<TaskState, ProviderError> {
        match read::status(&document.value) {
            Status::Pending => Ok(TaskState::Pending),
            Status::Failed(Some(message)) => Ok(TaskState::Failed(messages::failed(&message))),
            Status::Failed(None) => Ok(TaskState::Failed(messages::failed_without_message())),
            Status::Succeeded => {
                let url = match self.download_url(&document.value).await {
                    Some(url) => Some(url),
                    None => read::video_url(&document.value),
                };
                let omni = Endpoint::of(job) == Endpoint::Omni;
                let url = url
                    .and_then(|url| Url::parse(&url).ok())
                    .ok_or_else(|| ProviderError::fatal(messages::no_video(omni)))?;
                Ok(TaskState::Succeeded(VideoSource::Url {
                    url,
                    credentials: None,
                }))
            }
        }
    }

    /// `GET /v1/kling/assets/download?workIds=…&fileTypes=MP4`: its `cdnUrl`;
    /// any failure there is ignored, as the bot ignores it.
    async fn download_url(&self, answer: &Value) -> Option<String> {
        let work = read::first_work_id(answer)?;
        let url = self
            .url(
                "/v1/kling/assets/download",
                &[("workIds", &work), ("fileTypes", "MP4")],
                true,
            )
            .ok()?;
        let request = self
            .client
            .get(url)
            .header(CONTENT_TYPE, "application/json");
        let document = self
            .call("download", request, ProviderError::Fatal)
            .await
            .ok()?;
        ["cdnUrl", "cdn_url"]
            .iter()
            .find_map(|key| document.value.get(key).and_then(Value::as_str))
            .filter(|url| url.starts_with("http"))
            .map(str::to_owned)
    }
}

/// A job of `model` for the useapi.net unit tests.
#[cfg(test)]
pub(crate) fn test_job(
    model: &str,
    kind: crate::provider::GenerationKind,
    params: Value,
) -> GenerationJob {
    GenerationJob {
        task_key: "run".into(),
        prompt: "A fox in snow".into(),
        model_name: model.into(),
        kind,
        params: params.as_object().cloned().unwrap_or_default(),
        output: crate::provider::OutputTarget {
            dir: "/tmp".into(),
            stem: "run".into(),
        },
    }
}
