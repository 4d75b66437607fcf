//! Kling (Kuaishou), per ../shared/seed/kling-integration.ru.md, in three API
//! styles ([`generic`], [`official`], [`useapi`] (the bot's latest release);
//! `KLING_API_STYLE`): their requests, how
//! their answers say where a task stands and where its video is, and Kling's
//! wording. Polling, downloads and task ids are the shared runner's.
//! Settings: [`crate::settings::KlingSettings`].

mod api;
mod body;
mod fields;
mod generic;
mod jwt;
mod messages;
mod mode;
mod official;
mod useapi;

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::callback::CallbackKeys;
use crate::download::{DownloadError, Downloader};
use crate::i18n::UserText;
use crate::net::{AddressPolicy, ClientError};
use crate::provider::document::Document;
use crate::provider::{
    Answer, GenerationJob, GenerationKind, InputImage, Limits, ProviderError, Reported, SetupError,
    Submitted, VideoProvider,
};
use crate::settings::{KlingApiStyle, KlingSettings};
use generic::GenericApi;
use official::OfficialApi;
use useapi::UseapiApi;

/// The name models use in `botapp_aimodel.provider`.
pub const NAME: &str = "kling";
/// Headroom over the video cap for JSON around a base64 video (4/3 of the bytes).
const JSON_OVERHEAD: u64 = 1024 * 1024;

enum Style {
    Generic(GenericApi),
    Official(OfficialApi),
    Useapi(Box<UseapiApi>),
}

/// The Kling provider.
pub struct KlingProvider {
    style: Style,
    limits: Limits,
}

impl KlingProvider {
    /// Builds the provider, or says which required setting is missing; media a
    /// request names by address (the useapi.net style fetches those) are read
    /// under `policy`.
    pub fn from_settings(
        settings: &KlingSettings,
        policy: AddressPolicy,
        callbacks: Option<CallbackKeys>,
    ) -> Result<Self, SetupError> {
        let client = crate::net::client_builder()
            .timeout(settings.request_timeout)
            .build()
            .map_err(ClientError::from)?;
        let max_body = settings.max_video_bytes / 3 * 4 + JSON_OVERHEAD;
        let style = match settings.api_style {
            KlingApiStyle::Generic => Style::Generic(
                GenericApi::new(settings, client, max_body)?
                    .ok_or(SetupError::NotSet("KLING_API_KEY"))?,
            ),
            KlingApiStyle::Official => Style::Official(
                OfficialApi::new(settings, client, max_body, callbacks.clone()).ok_or(
                    SetupError::StyleNeeds {
                        style: "KLING_API_STYLE=official",
                        needs: "KLING_API_KEY and KLING_API_SECRET",
                    },
                )?,
            ),
            KlingApiStyle::Useapi => Style::Useapi(Box::new(UseapiApi::new(
                settings.useapi.as_ref().ok_or(SetupError::UseapiUnread)?,
                max_body,
                Downloader::new(policy, settings.max_video_bytes, settings.request_timeout)
                    .map_err(SetupError::Downloader)?,
            )?)),
        };
        let limits = match (&style, &settings.useapi) {
            // The bot's own variables, and its account's parallel jobs as the concurrency.
            (Style::Useapi(_), Some(useapi)) => Limits {
                poll_interval: useapi.poll_interval,
                callback_poll_interval: None,
                poll_timeout: useapi.poll_timeout,
                max_concurrent: settings.max_concurrent.min(useapi.max_jobs),
                max_video_bytes: settings.max_video_bytes,
                download_timeout: useapi.request_timeout,
            },
            _ => Limits {
                poll_interval: settings.poll_interval,
                // Only the official API calls back.
                callback_poll_interval: matches!(style, Style::Official(_))
                    .then_some(settings.callback_poll_interval)
                    .filter(|_| callbacks.is_some()),
                poll_timeout: settings.poll_timeout,
                max_concurrent: settings.max_concurrent,
                max_video_bytes: settings.max_video_bytes,
                download_timeout: settings.request_timeout,
            },
        };
        Ok(Self { style, limits })
    }

    fn style_name(&self) -> &'static str {
        match self.style {
            Style::Generic(_) => "generic",
            Style::Official(_) => "official",
            Style::Useapi(_) => "useapi",
        }
    }

    /// The state a response gives, with the video's source once it succeeded.
    async fn answer(
        &self,
        job: &GenerationJob,
        document: &Document,
        task_id: &str,
    ) -> Result<Answer, ProviderError> {
        let state = match &self.style {
            Style::Generic(api) => generic::state(document, task_id, api)?,
            Style::Official(api) => official::state(document, task_id, api)?,
            Style::Useapi(api) => api.state(job, document).await?,
        };
        Ok(Answer {
            state,
            response: document.value.clone(),
        })
    }
}

/// `720`, or `0.5` for fractions.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{}", secs as u64)
    } else {
        format!("{secs}")
    }
}

#[async_trait]
impl VideoProvider for KlingProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn supports(&self, kind: GenerationKind) -> bool {
        matches!(
            kind,
            GenerationKind::TextToVideo | GenerationKind::ImageToVideo
        )
    }

    fn credentials_hint(&self) -> &'static str {
        match self.style {
            Style::Generic(_) => "KLING_API_KEY and the Kling account",
            Style::Official(_) => {
                "KLING_API_KEY and KLING_API_SECRET (the access key and secret key) and the \
                 Kling account (balance, resource packs, access to the model)"
            }
            Style::Useapi(_) => {
                "USEAPI_API_KEY (or KLING_API_KEY) and the useapi.net Kling account \
                 (USEAPI_KLING_ACCOUNT_EMAIL and its password, its subscription)"
            }
        }
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    async fn submit(
        &self,
        job: &GenerationJob,
        image: Option<&InputImage>,
    ) -> Result<Submitted, ProviderError> {
        let mut metadata = Map::new();
        let (task_id, document) = match &self.style {
            Style::Generic(api) => api.create(job, image).await?,
            Style::Official(api) => api.create(job, image).await?,
            Style::Useapi(api) => {
                let (task_id, document, body) = api.create(job, image).await?;
                // The bot keeps the body it sent as `request`.
                metadata.insert("request".into(), body);
                (task_id, document)
            }
        };
        let answer = self.answer(job, &document, &task_id).await;
        Ok(Submitted {
            task_id,
            answer,
            metadata,
        })
    }

    async fn poll(&self, job: &GenerationJob, task_id: &str) -> Result<Answer, ProviderError> {
        let document = match &self.style {
            Style::Generic(api) => api.status(task_id).await?,
            Style::Official(api) => api.status(job, task_id).await?,
            Style::Useapi(api) => api.status(task_id).await?,
        };
        self.answer(job, &document, task_id).await
    }

    async fn find_task(&self, job: &GenerationJob) -> Result<Option<String>, ProviderError> {
        match &self.style {
            Style::Generic(_) | Style::Useapi(_) => Ok(None),
            Style::Official(api) => api.find(job).await,
        }
    }

    /// The bot's own Kling provider's keys for whatever reads those (the seed's
    /// `job`, `initialResponse`, `prompt`, `generationType`; the latest
    /// release's `createResponse` and `task` in the useapi style), and the API style.
    fn metadata(
        &self,
        job: &GenerationJob,
        _task_id: &str,
        created: &Value,
        last: &Value,
    ) -> Map<String, Value> {
        let mut keys = Map::new();
        keys.insert("api_style".into(), json!(self.style_name()));
        if let Style::Useapi(_) = self.style {
            keys.insert("createResponse".into(), created.clone());
            keys.insert("task".into(), last.clone());
            return keys;
        }
        keys.insert("job".into(), last.clone());
        keys.insert("initialResponse".into(), created.clone());
        keys.insert("prompt".into(), json!(job.prompt));
        keys.insert("generationType".into(), json!(job.kind.as_str()));
        keys
    }

    /// The useapi.net style reads the video's duration, resolution and aspect
    /// ratio from the final answer, as the bot does; the others report nothing.
    fn reported(&self, job: &GenerationJob, last: &Value) -> Reported {
        match self.style {
            Style::Useapi(_) => useapi::reported(job, last),
            Style::Generic(_) | Style::Official(_) => Reported::default(),
        }
    }

    fn poll_timeout_message(&self, timeout: Duration) -> UserText {
        match self.style {
            Style::Useapi(_) => useapi::poll_timeout(seconds(timeout)),
            Style::Generic(_) | Style::Official(_) => messages::poll_timeout(seconds(timeout)),
        }
    }

    /// A base64 field that is not a video, with no link beside it, is a task
    /// that returned no video (the seed's message).
    fn download_failed_message(&self, error: &DownloadError) -> UserText {
        match error {
            DownloadError::InvalidBase64(_) => messages::no_video(),
            other => messages::download_failed(other),
        }
    }

    fn too_large_message(&self, max_megabytes: u64) -> UserText {
        messages::too_large(max_megabytes)
    }
}
