//! Google Veo (`botapp_aimodel.provider = 'veo'`), following the bot's own
//! Vertex provider (../shared/bot/veo_vertex.md), in two API styles
//! (`VEO_API_STYLE`): [`vertex`] (the bot's, a service account) and [`gemini`]
//! (an API key). What is Veo's: the body, the model-name candidates, reading
//! the long-running operation, where its video is, and its wording. Polling,
//! downloads and task ids are the shared runner's. Settings:
//! [`crate::settings::VeoSettings`].

mod api;
mod auth;
mod body;
mod gemini;
mod messages;
mod models;
mod operation;
mod vertex;

pub use auth::GoogleAuthError;

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::download::DownloadError;
use crate::i18n::UserText;
use crate::provider::document::Document;
use crate::provider::{
    Answer, GenerationJob, GenerationKind, InputImage, Limits, ProviderError, SetupError,
    Submitted, TaskState, VideoProvider, VideoSource,
};
use crate::settings::{VeoApiStyle, VeoSettings};
use api::JsonClient;
use body::Flavour;
use gemini::GeminiApi;
use operation::{Layout, Reading};
use vertex::VertexApi;

/// The name models use in `botapp_aimodel.provider`.
pub const NAME: &str = "veo";
/// Headroom over the video cap for JSON around a base64 video (4/3 of the bytes).
const JSON_OVERHEAD: u64 = 1024 * 1024;

enum Style {
    Vertex(Box<VertexApi>),
    Gemini(GeminiApi),
}

/// The Veo provider.
pub struct VeoProvider {
    style: Style,
    limits: Limits,
}

impl VeoProvider {
    /// Builds the provider, or says which required setting is missing or wrong.
    pub fn from_settings(settings: &VeoSettings) -> Result<Self, SetupError> {
        let http = crate::net::client_builder()
            .timeout(settings.request_timeout)
            .build()
            .map_err(crate::net::ClientError::from)?;
        let client = JsonClient {
            http,
            max_body: settings.max_video_bytes / 3 * 4 + JSON_OVERHEAD,
        };
        let style = match settings.api_style {
            VeoApiStyle::Vertex => Style::Vertex(Box::new(VertexApi::new(settings, client)?)),
            VeoApiStyle::Gemini => Style::Gemini(GeminiApi::new(settings, client)?),
        };
        Ok(Self {
            style,
            limits: Limits {
                poll_interval: settings.poll_interval,
                callback_poll_interval: None,
                poll_timeout: settings.poll_timeout,
                max_concurrent: settings.max_concurrent,
                max_video_bytes: settings.max_video_bytes,
                download_timeout: settings.request_timeout,
            },
        })
    }

    fn layout(&self) -> Layout {
        match self.style {
            Style::Vertex(_) => Layout::Vertex,
            Style::Gemini(_) => Layout::Gemini,
        }
    }

    fn flavour(&self) -> Flavour {
        match self.style {
            Style::Vertex(_) => Flavour::Vertex,
            Style::Gemini(_) => Flavour::Gemini,
        }
    }

    /// The state an operation document gives, with its video's source once done.
    async fn answer(&self, document: &Document) -> Result<Answer, ProviderError> {
        let state = match operation::read(document, self.layout())? {
            Reading::Pending => TaskState::Pending,
            Reading::Failed(message) => TaskState::Failed(message),
            Reading::Base64(data) => TaskState::Succeeded(VideoSource::Base64 {
                data,
                fallback: None,
            }),
            Reading::Uri(uri) => TaskState::Succeeded(match &self.style {
                Style::Vertex(api) => api.source(&uri).await?,
                Style::Gemini(api) => api.source(&uri)?,
            }),
        };
        Ok(Answer {
            state,
            response: document.value.clone(),
        })
    }
}

/// The operation name of a submit answer.
fn operation_name(document: Document) -> Result<(String, Document), ProviderError> {
    let name = document
        .value
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| ProviderError::fatal(messages::no_operation()))?
        .to_owned();
    Ok((name, document))
}

/// The model resource of an operation name (the part before `/operations/`),
/// which must start with `prefix` and hold nothing that leaves its path.
fn model_resource<'a>(name: &'a str, prefix: &str) -> Result<&'a str, ProviderError> {
    let invalid = || ProviderError::fatal(format!("not a Veo operation name: {name}"));
    if !name.starts_with(prefix) || name.contains("..") || name.contains(['?', '#', '\\', ' ']) {
        return Err(invalid());
    }
    name.split_once("/operations/")
        .map(|(resource, _)| resource)
        .ok_or_else(invalid)
}

#[async_trait]
impl VideoProvider for VeoProvider {
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
            Style::Vertex(_) => {
                "GOOGLE_APPLICATION_CREDENTIALS_JSON (the service account: its key, its IAM \
                 roles, Vertex AI enabled in VERTEX_LOCATION) and VERTEX_PROJECT_ID"
            }
            Style::Gemini(_) => "GEMINI_API_KEY (the key, and its project's access to Veo)",
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
        let body = body::request(job, image, self.flavour())?;
        let mut last = None;
        for model in models::candidates(&job.model_name) {
            let answer = match &self.style {
                Style::Vertex(api) => api.submit(&model, &body).await,
                Style::Gemini(api) => api.submit(&model, &body).await,
            };
            match answer {
                Ok(document) => {
                    let (task_id, document) = operation_name(document)?;
                    let answer = self.answer(&document).await;
                    return Ok(Submitted {
                        task_id,
                        answer,
                        metadata: Map::new(),
                    });
                }
                Err(error) if api::model_not_found(&error) => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.unwrap_or_else(|| ProviderError::fatal(messages::no_model_name())))
    }

    async fn poll(&self, _job: &GenerationJob, task_id: &str) -> Result<Answer, ProviderError> {
        let document = match &self.style {
            Style::Vertex(api) => api.poll(task_id).await?,
            Style::Gemini(api) => api.poll(task_id).await?,
        };
        self.answer(&document).await
    }

    /// The bot's keys: the last operation, its first video's entry, the model
    /// that answered, the parameters sent and the operation's name.
    fn metadata(
        &self,
        job: &GenerationJob,
        task_id: &str,
        _created: &Value,
        last: &Value,
    ) -> Map<String, Value> {
        let resolved = task_id
            .split_once("/operations/")
            .and_then(|(resource, _)| resource.rsplit('/').next())
            .unwrap_or_default();
        let mut keys = Map::new();
        keys.insert(
            "api_style".into(),
            json!(match self.style {
                Style::Vertex(_) => "vertex",
                Style::Gemini(_) => "gemini",
            }),
        );
        keys.insert("operation".into(), last.clone());
        keys.insert(
            "videoEntry".into(),
            operation::video_entry(last, self.layout()),
        );
        keys.insert("resolvedModelName".into(), json!(resolved));
        keys.insert(
            "parameters".into(),
            body::parameters(&job.params, self.flavour()).unwrap_or(Value::Null),
        );
        keys.insert("operationName".into(), json!(task_id));
        keys
    }

    fn poll_timeout_message(&self, _timeout: Duration) -> UserText {
        messages::poll_timeout()
    }

    fn download_failed_message(&self, error: &DownloadError) -> UserText {
        messages::download_failed(error)
    }

    fn too_large_message(&self, max_megabytes: u64) -> UserText {
        messages::too_large(max_megabytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_must_stay_in_their_path() {
        assert_eq!(
            model_resource(
                "projects/p/locations/l/publishers/google/models/m/operations/1",
                "projects/"
            )
            .unwrap(),
            "projects/p/locations/l/publishers/google/models/m"
        );
        assert_eq!(
            model_resource("models/m/operations/abc", "models/").unwrap(),
            "models/m"
        );
        for bad in [
            "models/m",
            "files/x/operations/1",
            "models/../x/operations/1",
            "models/m/operations/1?key=x",
        ] {
            assert!(model_resource(bad, "models/").is_err(), "{bad}");
        }
    }
}
