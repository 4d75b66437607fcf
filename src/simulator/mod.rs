//! A loopback HTTP server that plays Kling (generic and official API styles,
//! and through useapi.net),
//! Google Veo (Vertex AI and the Gemini API, with Google's OAuth2 token
//! endpoint and Cloud Storage downloads) and the Telegram Bot API, for the
//! demo, the tests and the benchmarks.
//!
//! Behaviour is set by [`Knobs`] (time to finish, URL or base64 results, video
//! size, outcome, truncated downloads) and per-endpoint [`Fault`]s; every call
//! is counted per [`Endpoint`]. It binds 127.0.0.1 only. Every video is a real,
//! playable MP4, the embedded H.264 clip [`CLIP`] grown to the size asked for,
//! produced on the fly and streamed, so its size does not cost memory. Its
//! Telegram serves the photo [`SIM_PHOTO_FILE_ID`] from the start, the input of
//! an image2video request. Its Google service account (one RSA key pair per
//! process, [`Simulator::service_account_json`]) signs the token requests; the
//! Gemini API takes the key [`SIM_GEMINI_API_KEY`] by default.
//!
//! Routes:
//! - generic Kling: `POST /v1/video/generations`, `GET /v1/video/generations/{job_id}`;
//! - official Kling: `POST /v1/videos/{text2video|image2video}`,
//!   `GET /v1/videos/{kind}/{task_id}`, `GET /v1/videos/{kind}?external_task_id=`;
//! - Kling through useapi.net (the Kling bearer key): `POST /v1/kling/accounts`,
//!   `POST /v1/kling/videos/{text2video|image2video-frames|omni}`,
//!   `GET /v1/kling/tasks/{id}` and `GET /v1/tasks/{id}`, `POST /v1/kling/assets/`,
//!   `GET /v1/kling/assets/download?workIds=&fileTypes=MP4`; uploaded assets at
//!   `GET /_sim/useapi-assets/{name}` (no credentials);
//! - videos: `GET /files/{id}.mp4`;
//! - Google OAuth2: `POST /token` (service-account JWT-bearer grant);
//! - Veo on Vertex (Bearer token): `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning`,
//!   `POST …/models/{m}:fetchPredictOperation`; Cloud Storage:
//!   `GET /download/storage/v1/b/{bucket}/o/{object}?alt=media`;
//! - Veo on the Gemini API (`x-goog-api-key`): `POST /v1beta/models/{m}:predictLongRunning`,
//!   `GET /v1beta/models/{m}/operations/{id}`, `GET /v1beta/files/{id}:download?alt=media`
//!   (a redirect to `GET /_sim/blob/{id}`, which needs no credentials);
//! - Telegram: `/bot<token>/{getFile,sendVideo,sendMessage}`, `/file/bot<token>/<path>`;
//! - control: `GET /_sim/stats`, `GET|PUT /_sim/knobs`, `POST /_sim/inject`,
//!   `POST /_sim/telegram-files`, `GET /_sim/telegram-messages`.

mod clip;
mod control;
mod endpoint;
mod faults;
mod files;
mod google_token;
mod hosted;
mod key_file;
mod kling_generic;
mod kling_official;
mod kling_useapi;
mod kling_useapi_assets;
mod kling_useapi_request;
mod kling_useapi_state;
mod knobs;
mod photo;
mod service_account;
mod state;
mod telegram;
mod telegram_entities;
mod telegram_state;
mod telegram_video;
mod veo_files;
mod veo_gemini;
mod veo_request;
mod veo_state;
mod veo_vertex;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clip::{CLIP, video_size};
pub use endpoint::Endpoint;
pub use files::video_content;
pub use hosted::LARGE_IMAGE_MIN_BYTES;
pub use key_file::ServiceAccountFile;
pub use kling_useapi_state::{UseapiIdShape, UseapiStatusStyle};
pub use knobs::{
    DEFAULT_TELEGRAM_UPLOAD_LIMIT, DEFAULT_TOKEN_LIFETIME_SECS, DEFAULT_VEO_MODELS,
    DEFAULT_VIDEO_BYTES, Fault, Knobs, Outcome, ResultMode,
};
pub use photo::{SIM_PHOTO, SIM_PHOTO_FILE_ID, SIM_PHOTO_PATH};
pub use service_account::{SIM_CLIENT_EMAIL, SIM_VERTEX_PROJECT};
pub use telegram_state::{FilePart, TelegramMessage};
pub use veo_gemini::SIM_GEMINI_API_KEY;
pub use veo_state::GeminiRedirect;

use state::Shared;

/// How long [`Simulator::shutdown`] waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What a simulator needs to start.
#[derive(Clone)]
pub struct SimulatorConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Generic style: the bearer key; official style: the JWT access key (`iss`).
    pub kling_api_key: String,
    /// Official style: the HS256 secret the JWT is signed with.
    pub kling_api_secret: String,
    /// The bot token Telegram paths must carry.
    pub telegram_bot_token: String,
    /// The key the Gemini API style accepts in `x-goog-api-key`.
    pub gemini_api_key: String,
    /// Initial knobs.
    pub knobs: Knobs,
}

impl std::fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys, secret and token are never printed.
        f.debug_struct("SimulatorConfig")
            .field("port", &self.port)
            .field("knobs", &self.knobs)
            .finish_non_exhaustive()
    }
}

impl SimulatorConfig {
    /// A configuration with default knobs on a free port (and the Gemini key
    /// [`SIM_GEMINI_API_KEY`]).
    pub fn new(
        kling_api_key: impl Into<String>,
        kling_api_secret: impl Into<String>,
        telegram_bot_token: impl Into<String>,
    ) -> Self {
        Self {
            port: 0,
            kling_api_key: kling_api_key.into(),
            kling_api_secret: kling_api_secret.into(),
            telegram_bot_token: telegram_bot_token.into(),
            gemini_api_key: SIM_GEMINI_API_KEY.to_owned(),
            knobs: Knobs::default(),
        }
    }
}

/// Binds 127.0.0.1 and builds the shared state and router.
async fn bind(config: SimulatorConfig) -> std::io::Result<(TcpListener, Arc<Shared>, Router)> {
    let service_account = service_account::service_account().await?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(
        config,
        service_account,
        format!("http://{addr}"),
    ));
    tracing::info!(address = %addr, "simulator listening");
    Ok((listener, Arc::clone(&shared), router(shared)))
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/video/generations", post(kling_generic::create))
        .route("/v1/video/generations/{job_id}", get(kling_generic::status))
        .route(
            "/v1/videos/{kind}",
            post(kling_official::create).get(kling_official::lookup),
        )
        .route("/v1/videos/{kind}/{task_id}", get(kling_official::status))
        .route("/v1/kling/accounts", post(kling_useapi::account))
        .route("/v1/kling/videos/{kind}", post(kling_useapi::create))
        .route("/v1/kling/tasks/{id}", get(kling_useapi::task))
        .route("/v1/tasks/{id}", get(kling_useapi::task_fallback))
        .route("/v1/kling/assets/", post(kling_useapi_assets::upload))
        .route("/v1/kling/assets", post(kling_useapi_assets::upload))
        .route(
            "/v1/kling/assets/download",
            get(kling_useapi_assets::download),
        )
        .route(
            "/_sim/useapi-assets/{name}",
            get(kling_useapi_assets::served),
        )
        .route("/files/{name}", get(files::video_file))
        .route("/_sim/hosted/{name}", get(hosted::hosted))
        .route("/token", post(google_token::token))
        .route("/v1/projects/{*rest}", post(veo_vertex::dispatch))
        .route(
            "/v1beta/{*rest}",
            post(veo_gemini::post).get(veo_gemini::get),
        )
        .route(
            "/download/storage/v1/b/{bucket}/o/{object}",
            get(veo_files::gcs_download),
        )
        .route("/_sim/blob/{file_id}", get(veo_files::blob))
        .route("/_sim/stats", get(control::stats))
        .route(
            "/_sim/knobs",
            put(control::put_knobs).get(control::get_knobs),
        )
        .route("/_sim/inject", post(control::inject))
        .route("/_sim/telegram-files", post(control::telegram_file))
        .route("/_sim/telegram-messages", get(control::telegram_messages))
        .fallback(telegram::dispatch)
        // Handlers stream or cap what they read themselves.
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// A running simulator; it stops when dropped or on [`Simulator::shutdown`].
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl Simulator {
    /// Binds 127.0.0.1 and starts serving in the background.
    pub async fn start(config: SimulatorConfig) -> std::io::Result<Self> {
        let (listener, shared, app) = bind(config).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// The bound address (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL of every API it plays.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the knobs (tasks not yet finished follow the new ones).
    pub fn set_knobs(&self, knobs: Knobs) {
        self.shared.set_knobs(knobs);
    }

    /// The current knobs.
    pub fn knobs(&self) -> Knobs {
        self.shared.knobs()
    }

    /// The next calls to `endpoint` get these faults, one per call, in order.
    pub fn inject(&self, endpoint: Endpoint, faults: Vec<Fault>) {
        self.shared.inject(endpoint, faults);
    }

    /// Calls received by `endpoint`, faulted ones included.
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        self.shared.calls(endpoint)
    }

    /// Creates received for a key: official `external_task_id`, generic `prompt`
    /// (rejected duplicates included).
    pub fn creates_for(&self, key: &str) -> u64 {
        self.shared.creates_for(key)
    }

    /// Tasks created in total, Kling through useapi.net included.
    pub fn task_count(&self) -> u64 {
        self.shared.task_count()
    }

    /// Tasks created through the useapi.net routes.
    pub fn useapi_task_count(&self) -> u64 {
        self.shared.useapi_task_count()
    }

    /// Assets uploaded to `POST /v1/kling/assets/`, in order: content type, size.
    pub fn useapi_assets(&self) -> Vec<(String, usize)> {
        self.shared.useapi_assets()
    }

    /// The statuses genworker answered the official-style callbacks with, in
    /// order (0: no answer).
    pub fn callbacks(&self) -> Vec<u16> {
        self.shared.lock().callbacks.clone()
    }

    /// Every `email` a useapi.net call carried (body field or `?email=`), in order.
    pub fn useapi_emails(&self) -> Vec<String> {
        self.shared.useapi_emails()
    }

    /// The JSON body of the last Kling create call.
    pub fn last_create_body(&self) -> Option<serde_json::Value> {
        self.shared.last_body(Endpoint::KlingCreate)
    }

    /// The JSON body of the last call to `endpoint`: `KlingCreate`, `VeoSubmit`,
    /// `UseapiAccount`, `UseapiCreate` and Vertex `VeoPoll` keep one (a Gemini poll, a GET, clears it).
    pub fn last_body(&self, endpoint: Endpoint) -> Option<serde_json::Value> {
        self.shared.last_body(endpoint)
    }

    /// Veo operations created in total (both styles).
    pub fn operations_count(&self) -> u64 {
        self.shared.operations_count()
    }

    /// The Google service-account key JSON (with its private key) whose
    /// `token_uri` is this simulator's `POST /token`.
    pub fn service_account_json(&self) -> String {
        self.shared.service_account.key_json(&self.shared.base_url)
    }

    /// Headers of the last request to `endpoint`.
    pub fn last_headers(&self, endpoint: Endpoint) -> Option<http::HeaderMap> {
        self.shared.last_headers(endpoint)
    }

    /// A file served by Telegram `getFile` and the file download.
    pub fn add_telegram_file(&self, file_id: &str, file_path: &str, bytes: Vec<u8>) {
        self.shared.add_telegram_file(file_id, file_path, bytes);
    }

    /// Messages Telegram accepted, in order.
    pub fn telegram_messages(&self) -> Vec<TelegramMessage> {
        self.shared.telegram_messages()
    }

    /// Stops accepting, lets open connections finish (at most a few seconds).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut server) = self.server.take() {
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(Ok(Err(error))) => tracing::warn!(%error, "simulator server failed"),
                Ok(_) => {}
                Err(_) => server.abort(),
            }
        }
        tracing::info!("simulator stopped");
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
