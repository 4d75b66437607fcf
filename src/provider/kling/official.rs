//! The public Kling API (`KLING_API_STYLE=official`): a JWT signed with the
//! secret key, `POST /v1/videos/<kind>`, `GET /v1/videos/<kind>/{task_id}`,
//! `{code, message, request_id, data}` envelopes where any `code != 0` is an error.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use url::Url;

use super::api;
use super::jwt::TokenSource;
use super::messages;
use super::mode::quality_mode;
use crate::callback::CallbackKeys;
use crate::download::Credentials;
use crate::provider::document::Document;
use crate::provider::http::{self, Reply};
use crate::provider::{GenerationJob, InputImage, ProviderError, TaskState, VideoSource};
use crate::settings::KlingSettings;

/// Official request fields taken from the params (`kling_options` may add others).
const PASSED: [&str; 5] = [
    "negative_prompt",
    "cfg_scale",
    "aspect_ratio",
    "camera_control",
    "callback_url",
];

/// The official style's client.
#[derive(Debug)]
pub struct OfficialApi {
    client: reqwest::Client,
    base: Url,
    tokens: TokenSource,
    max_body: u64,
    /// Where Kling calls back when a task ends (`GENWORKER_CALLBACK_URL`).
    callbacks: Option<CallbackKeys>,
}

impl OfficialApi {
    /// Builds the API; `None` without both `KLING_API_KEY` and `KLING_API_SECRET`.
    pub fn new(
        settings: &KlingSettings,
        client: reqwest::Client,
        max_body: u64,
        callbacks: Option<CallbackKeys>,
    ) -> Option<Self> {
        let tokens = TokenSource::new(settings.api_key.clone()?, settings.api_secret.clone()?);
        Some(Self {
            client,
            base: settings.api_base_url.clone(),
            tokens,
            max_body,
            callbacks,
        })
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        self.base
            .join(path)
            .map_err(|error| ProviderError::fatal(format!("KLING_API_BASE_URL: {error}")))
    }

    fn auth(&self) -> Result<HeaderMap, ProviderError> {
        let token = self
            .tokens
            .token()
            .map_err(|error| ProviderError::Unauthorized(error.to_string().into()))?;
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ProviderError::Unauthorized("Kling JWT is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        Ok(headers)
    }

    /// The API origin and a current token, for downloads from that same origin only.
    pub fn credentials(&self) -> Result<Credentials, ProviderError> {
        Ok(Credentials {
            origin: self.base.origin(),
            headers: self.auth()?,
        })
    }

    /// Creates the task with `external_task_id` = the request's run code.
    pub async fn create(
        &self,
        job: &GenerationJob,
        image: Option<&InputImage>,
    ) -> Result<(String, Document), ProviderError> {
        let url = self.url(&format!("/v1/videos/{}", job.kind.as_str()))?;
        let mut body = create_body(job, image);
        if let Some(callbacks) = &self.callbacks {
            // genworker's own address wins over one the params name.
            body["callback_url"] = json!(callbacks.url_for(super::NAME, &job.task_key));
        }
        let document = http::with_retries(http::rate_limited, || async {
            let request = self
                .client
                .post(url.clone())
                .headers(self.auth()?)
                .json(&body);
            self.envelope(api::execute("create", request, self.max_body).await?)
        })
        .await?;
        let id = document
            .value
            .pointer("/data/task_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ProviderError::fatal(messages::no_task_id()))?
            .to_owned();
        Ok((id, document))
    }

    /// Reads the task.
    pub async fn status(
        &self,
        job: &GenerationJob,
        task_id: &str,
    ) -> Result<Document, ProviderError> {
        let url = self.url(&format!("/v1/videos/{}/{task_id}", job.kind.as_str()))?;
        http::with_retries(http::any_retryable, || async {
            let request = self.client.get(url.clone()).headers(self.auth()?);
            self.envelope(api::execute("status", request, self.max_body).await?)
        })
        .await
    }

    /// The task an earlier attempt created for this request, found by `external_task_id`.
    pub async fn find(&self, job: &GenerationJob) -> Result<Option<String>, ProviderError> {
        let mut url = self.url(&format!("/v1/videos/{}", job.kind.as_str()))?;
        url.query_pairs_mut()
            .append_pair("external_task_id", &job.task_key);
        let document = http::with_retries(http::any_retryable, || async {
            let request = self.client.get(url.clone()).headers(self.auth()?);
            self.envelope(api::execute("find", request, self.max_body).await?)
        })
        .await?;
        let tasks = document
            .value
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(tasks.iter().find_map(|task| {
            let external = task
                .pointer("/task_info/external_task_id")
                .and_then(Value::as_str);
            (external == Some(job.task_key.as_str()))
                .then(|| {
                    task.get("task_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .flatten()
        }))
    }

    /// Parses an envelope; an HTTP error or `code != 0` becomes an error classified by code.
    fn envelope(&self, reply: Reply) -> Result<Document, ProviderError> {
        let parsed = Document::parse(reply.body.clone());
        let code = parsed
            .as_ref()
            .ok()
            .and_then(|doc| doc.value.get("code").and_then(Value::as_i64));
        match (reply.status.is_success(), code, parsed) {
            (true, Some(0), Ok(document)) => Ok(document),
            (_, Some(code), Ok(document)) => Err(code_error(code, &reply, &document.value)),
            (false, _, _) => Err(api::status_error(&reply)),
            (true, _, Err(error)) => Err(ProviderError::retryable(messages::invalid_json(error))),
            (true, None, Ok(_)) => Err(ProviderError::retryable(api::error_message(&reply))),
        }
    }
}

/// Kling's documented codes: only 1302/1303 (rate and concurrency limits) and
/// 5000–5002 (server) can pass on retry; authentication (1000–1004) and account
/// (1100–1103) errors are the operator's; parameter and content policy errors
/// fail the request.
fn code_error(code: i64, reply: &Reply, value: &Value) -> ProviderError {
    let message = match value.get("message").and_then(Value::as_str) {
        Some(message) if reply.status.is_success() => {
            format!("Kling API error: code {code}. Details: {message}")
        }
        _ => api::error_message(reply),
    };
    let after = crate::net::retry_after(&reply.headers);
    match code {
        1302 | 1303 => ProviderError::Retryable {
            message: message.into(),
            after,
            rate_limited: true,
        },
        5000..=5002 => ProviderError::Retryable {
            message: message.into(),
            after,
            rate_limited: false,
        },
        1000..=1004 | 1100..=1103 => ProviderError::Unauthorized(message.into()),
        _ => ProviderError::fatal(message),
    }
}

/// The official create body.
pub fn create_body(job: &GenerationJob, image: Option<&InputImage>) -> Value {
    let mut body = Map::new();
    body.insert("model_name".into(), json!(job.model_name));
    body.insert("prompt".into(), json!(job.prompt));
    body.insert("external_task_id".into(), json!(job.task_key));
    if let Some(duration) = job.params.get("duration").filter(|value| !value.is_null()) {
        let text = match duration {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        body.insert("duration".into(), json!(text));
    }
    for key in PASSED {
        if let Some(value) = job.params.get(key).filter(|value| !value.is_null()) {
            body.insert(key.into(), value.clone());
        }
    }
    // A generation type in `mode` is Kling's endpoint here, not a body field.
    if let Some(quality) = quality_mode(&job.params) {
        body.insert("mode".into(), json!(quality));
    }
    if let Some(Value::Object(options)) = job.params.get("kling_options") {
        body.extend(
            options
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    if let Some(image) = image {
        body.insert("image".into(), json!(STANDARD.encode(&image.bytes)));
    }
    Value::Object(body)
}

/// Where an official task stands (`submitted`, `processing`, `succeed`,
/// `failed`); a succeeded one's video is `data.task_result.videos[0].url`.
pub fn state(
    document: &Document,
    task_id: &str,
    api: &OfficialApi,
) -> Result<TaskState, ProviderError> {
    let data = document.value.get("data");
    let status = data
        .and_then(|d| d.get("task_status"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(match status {
        "succeed" => TaskState::Succeeded(video(document, api)?),
        "failed" => TaskState::Failed(
            match data
                .and_then(|d| d.get("task_status_msg"))
                .and_then(Value::as_str)
            {
                Some(message) if !message.trim().is_empty() => {
                    messages::rejected(task_id, message.trim())
                }
                _ => messages::failed_status(task_id),
            },
        ),
        _ => TaskState::Pending,
    })
}

fn video(document: &Document, api: &OfficialApi) -> Result<VideoSource, ProviderError> {
    let url = document
        .value
        .pointer("/data/task_result/videos/0/url")
        .and_then(Value::as_str)
        .and_then(|url| Url::parse(url).ok())
        .ok_or_else(|| ProviderError::fatal(messages::no_video()))?;
    Ok(VideoSource::Url {
        url,
        credentials: Some(api.credentials()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{GenerationKind, OutputTarget};

    #[test]
    fn the_body_has_model_name_string_duration_external_id_and_raw_base64() {
        let job = GenerationJob {
            task_key: "run-9".into(),
            prompt: "a dog".into(),
            model_name: "kling-v1".into(),
            kind: GenerationKind::ImageToVideo,
            params: json!({"duration": 10, "aspect_ratio": "16:9", "enable_audio": true,
                "mode": "image2video", "kling_options": {"mode": "pro"}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
            output: OutputTarget {
                dir: "/tmp".into(),
                stem: "run-9".into(),
            },
        };
        let image = InputImage {
            bytes: vec![1, 2, 3],
            mime_type: "image/png".into(),
            source_url: None,
        };
        assert_eq!(
            create_body(&job, Some(&image)),
            json!({"model_name": "kling-v1", "prompt": "a dog", "external_task_id": "run-9",
                "duration": "10", "aspect_ratio": "16:9", "mode": "pro", "image": "AQID"})
        );
    }

    #[test]
    fn a_quality_mode_in_the_params_is_the_bodys_mode() {
        let job = |params: Value| GenerationJob {
            task_key: "run-1".into(),
            prompt: "p".into(),
            model_name: "kling-v2-6".into(),
            kind: GenerationKind::TextToVideo,
            params: params.as_object().cloned().unwrap_or_default(),
            output: OutputTarget {
                dir: "/tmp".into(),
                stem: "run-1".into(),
            },
        };
        assert_eq!(
            create_body(&job(json!({"mode": "std"})), None)["mode"],
            "std"
        );
        assert!(
            create_body(&job(json!({"mode": "text2video"})), None)
                .get("mode")
                .is_none()
        );
        assert_eq!(
            create_body(
                &job(json!({"mode": "std", "kling_options": {"mode": "pro"}})),
                None
            )["mode"],
            "pro"
        );
    }

    #[test]
    fn codes_are_classified_by_documented_range() {
        let reply = |status: u16| Reply {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: bytes::Bytes::from_static(b"{}"),
        };
        for (code, status, retryable, limited) in [
            (1000, 401, false, false),
            (1102, 403, false, false),
            (1201, 400, false, false),
            (1301, 400, false, false),
            (1302, 429, true, true),
            (1303, 429, true, true),
            (5000, 500, true, false),
            (5002, 503, true, false),
            (1304, 400, false, false),
        ] {
            let error = code_error(code, &reply(status), &json!({"code": code, "message": "m"}));
            assert_eq!(error.is_retryable(), retryable, "{code}");
            assert_eq!(
                matches!(
                    error,
                    ProviderError::Retryable {
                        rate_limited: true,
                        ..
                    }
                ),
                limited,
                "{code}"
            );
        }
    }
}
