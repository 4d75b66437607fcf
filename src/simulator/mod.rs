//! A loopback HTTP server that plays Kling (generic and official API styles)
//! and the Telegram Bot API, for the demo, the tests and the benchmarks.
//!
//! Behaviour is set by [`Knobs`] (time to finish, URL or base64 results, video
//! size, outcome, truncated downloads) and per-endpoint [`Fault`]s; every call
//! is counted per [`Endpoint`]. It binds 127.0.0.1 only. Every video is a real,
//! playable MP4, the embedded H.264 clip [`CLIP`] grown to the size asked for,
//! produced on the fly and streamed, so its size does not cost memory. Its
//! Telegram serves the photo [`SIM_PHOTO_FILE_ID`] from the start, the input of
//! an image2video request.
//!
//! Routes:
//! - generic Kling: `POST /v1/video/generations`, `GET /v1/video/generations/{job_id}`;
//! - official Kling: `POST /v1/videos/{text2video|image2video}`,
//!   `GET /v1/videos/{kind}/{task_id}`, `GET /v1/videos/{kind}?external_task_id=`;
//! - videos: `GET /files/{id}.mp4`;
//! - Telegram: `/bot<token>/{getFile,sendVideo,sendMessage}`, `/file/bot<token>/<path>`;
//! - control: `GET /_sim/stats`, `GET|PUT /_sim/knobs`, `POST /_sim/inject`,
//!   `POST /_sim/telegram-files`, `GET /_sim/telegram-messages`.

mod clip;
mod control;
mod faults;
mod files;
mod kling_generic;
mod kling_official;
mod photo;
mod state;
mod telegram;
mod telegram_entities;
mod telegram_video;

#[cfg(test)]
mod tests_faults;
#[cfg(test)]
mod tests_kling;
#[cfg(test)]
mod tests_support;
#[cfg(test)]
mod tests_telegram;

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
pub use files::video_content;
pub use photo::{SIM_PHOTO, SIM_PHOTO_FILE_ID, SIM_PHOTO_PATH};
pub use state::{
    DEFAULT_TELEGRAM_UPLOAD_LIMIT, DEFAULT_VIDEO_BYTES, Endpoint, Fault, FilePart, Knobs, Outcome,
    ResultMode, TelegramMessage,
};

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
    /// A configuration with default knobs on a free port.
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
            knobs: Knobs::default(),
        }
    }
}

/// Binds 127.0.0.1 and builds the shared state and router.
async fn bind(config: SimulatorConfig) -> std::io::Result<(TcpListener, Arc<Shared>, Router)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(
        config.kling_api_key,
        config.kling_api_secret,
        config.telegram_bot_token,
        format!("http://{addr}"),
        config.knobs,
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
        .route("/files/{name}", get(files::video_file))
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

    /// Tasks created in total.
    pub fn task_count(&self) -> u64 {
        self.shared.task_count()
    }

    /// The JSON body of the last create call.
    pub fn last_create_body(&self) -> Option<serde_json::Value> {
        self.shared.last_create_body()
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
