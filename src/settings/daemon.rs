//! Daemon settings: `GENWORKER_CONCURRENCY`, `GENWORKER_POLL_INTERVAL`,
//! `GENWORKER_LEASE_SECONDS`, `GENWORKER_MAX_ATTEMPTS`, `GENWORKER_RETRY_BASE`,
//! `GENWORKER_SHUTDOWN_GRACE`,
//! `GENWORKER_WORKER_ID`, `GENWORKER_TAKEOVER`, `GENWORKER_HTTP_ADDR`,
//! `GENWORKER_CALLBACK_URL`, `GENWORKER_CALLBACK_SECRET`, `GENWORKER_ALLOW_PRIVATE_URLS`
//! (`KLING_ALLOW_PRIVATE_URLS`, its old name), `MEDIA_ROOT`, `MEDIA_URL`.

use std::path::PathBuf;
use std::time::Duration;

use super::SettingsError;
use super::source::{Source, boolean, positive, seconds};

/// How the daemon claims and runs requests, and where results go.
#[derive(Debug, Clone)]
pub struct DaemonSettings {
    /// `GENWORKER_CONCURRENCY`: jobs in flight at most (default 256).
    pub concurrency: u32,
    /// `GENWORKER_POLL_INTERVAL`: the polling fallback (default 2 s on PostgreSQL, 0.5 s on SQLite).
    pub poll_interval: Option<Duration>,
    /// `GENWORKER_LEASE_SECONDS`: how long a claim holds without a heartbeat (default 60 s).
    pub lease: Duration,
    /// `GENWORKER_MAX_ATTEMPTS`: retryable failures before a request fails (default 5).
    pub max_attempts: u32,
    /// `GENWORKER_RETRY_BASE`: first retry delay, doubled per failure up to 5 min (default 5 s).
    pub retry_base: Duration,
    /// `GENWORKER_SHUTDOWN_GRACE`: time in-flight jobs get on SIGTERM (default 20 s).
    pub shutdown_grace: Duration,
    /// `GENWORKER_WORKER_ID`: this process's name in leases (default host-pid-random).
    pub worker_id: String,
    /// `GENWORKER_TAKEOVER` (default true): register in `genworker_worker`, hold
    /// a lock only a live process holds, and take over the leases of workers
    /// whose lock is free at once rather than when they expire.
    pub takeover: bool,
    /// `GENWORKER_HTTP_ADDR`: where `/healthz` is served (off when unset).
    pub http_addr: Option<std::net::SocketAddr>,
    /// `GENWORKER_CALLBACK_URL` and `GENWORKER_CALLBACK_SECRET`: providers that
    /// can call back (Kling's official API) get an address under that public base
    /// of `GENWORKER_HTTP_ADDR`, and poll only as a fallback.
    pub callbacks: Option<crate::callback::CallbackKeys>,
    /// `GENWORKER_ALLOW_PRIVATE_URLS` (or its old name `KLING_ALLOW_PRIVATE_URLS`;
    /// default false): fetch result videos from private addresses, for every provider.
    pub allow_private_urls: bool,
    /// `MEDIA_ROOT`: where videos are stored, under `videos/` (default `./media`).
    pub media_root: PathBuf,
    /// `MEDIA_URL`: the URL prefix of `MEDIA_ROOT` in `result_urls` (default `/media/`).
    pub media_url: String,
}

impl DaemonSettings {
    /// Which addresses result videos may be fetched from.
    pub fn address_policy(&self) -> crate::net::AddressPolicy {
        if self.allow_private_urls {
            crate::net::AddressPolicy::AllowPrivate
        } else {
            crate::net::AddressPolicy::PublicOnly
        }
    }

    pub(super) fn read(source: &Source) -> Result<Self, SettingsError> {
        let poll_interval = match source.raw("GENWORKER_POLL_INTERVAL")? {
            Some(value) => Some(
                seconds(value.trim())
                    .map_err(|reason| SettingsError::invalid("GENWORKER_POLL_INTERVAL", reason))?,
            ),
            None => None,
        };
        let mut media_url = source
            .raw("MEDIA_URL")?
            .unwrap_or_else(|| "/media/".to_owned());
        if !media_url.ends_with('/') {
            media_url.push('/');
        }
        Ok(Self {
            concurrency: source.parse_with("GENWORKER_CONCURRENCY", 256, positive)?,
            poll_interval,
            lease: source.parse_with(
                "GENWORKER_LEASE_SECONDS",
                Duration::from_secs(60),
                seconds,
            )?,
            max_attempts: source.parse_with("GENWORKER_MAX_ATTEMPTS", 5, positive)?,
            retry_base: source.parse_with(
                "GENWORKER_RETRY_BASE",
                Duration::from_secs(5),
                seconds,
            )?,
            shutdown_grace: source.parse_with(
                "GENWORKER_SHUTDOWN_GRACE",
                Duration::from_secs(20),
                seconds,
            )?,
            worker_id: source
                .raw("GENWORKER_WORKER_ID")?
                .unwrap_or_else(default_worker_id),
            takeover: source.parse_with("GENWORKER_TAKEOVER", true, boolean)?,
            http_addr: match source.raw("GENWORKER_HTTP_ADDR")? {
                Some(value) => Some(value.trim().parse().map_err(|_| {
                    SettingsError::invalid(
                        "GENWORKER_HTTP_ADDR",
                        format!("`{value}` is not an address such as 0.0.0.0:8080"),
                    )
                })?),
                None => None,
            },
            callbacks: callbacks(source)?,
            allow_private_urls: match source.raw("GENWORKER_ALLOW_PRIVATE_URLS")? {
                Some(_) => source.parse_with("GENWORKER_ALLOW_PRIVATE_URLS", false, boolean)?,
                None => source.parse_with("KLING_ALLOW_PRIVATE_URLS", false, boolean)?,
            },
            media_root: PathBuf::from(
                source
                    .raw("MEDIA_ROOT")?
                    .unwrap_or_else(|| "./media".to_owned()),
            ),
            media_url,
        })
    }
}

/// The callback settings: a public http(s) base URL, a secret of at least 16
/// characters, and the HTTP endpoint that receives them.
fn callbacks(source: &Source) -> Result<Option<crate::callback::CallbackKeys>, SettingsError> {
    let Some(base) = source.raw("GENWORKER_CALLBACK_URL")? else {
        return Ok(None);
    };
    let base = url::Url::parse(base.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| {
            SettingsError::invalid(
                "GENWORKER_CALLBACK_URL",
                format!("`{base}` is not an http(s) URL such as https://genworker.example.com"),
            )
        })?;
    let secret = source
        .raw("GENWORKER_CALLBACK_SECRET")?
        .filter(|secret| secret.chars().count() >= 16)
        .ok_or_else(|| {
            SettingsError::invalid(
                "GENWORKER_CALLBACK_SECRET",
                "GENWORKER_CALLBACK_URL needs a secret of at least 16 characters (the same on every replica)",
            )
        })?;
    if source.raw("GENWORKER_HTTP_ADDR")?.is_none() {
        return Err(SettingsError::invalid(
            "GENWORKER_HTTP_ADDR",
            "GENWORKER_CALLBACK_URL needs the endpoint that receives the callbacks",
        ));
    }
    Ok(Some(crate::callback::CallbackKeys::new(
        base,
        secrecy::SecretString::from(secret),
    )))
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "genworker".to_owned());
    let nonce: u32 = rand::random();
    format!("{host}-{}-{nonce:08x}", std::process::id())
}
