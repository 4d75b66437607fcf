//! Fetching result videos: streamed to a temporary file beside the destination
//! and renamed when complete and verified, with a size cap, checked redirects,
//! the address policy, and credentials only for the API's own origin.

mod base64;
pub mod media_type;
mod part_file;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION};
use tokio::sync::Semaphore;
use url::Url;

pub use self::base64::store_base64;
use crate::net::{self, AddressPolicy, GuardedResolver};
use crate::provider::OutputTarget;
use part_file::PartFile;

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;
/// Downloads one [`Downloader`] (and its clones) runs at once. Thousands of jobs
/// may finish together; each download holds a connection, a file, a write buffer
/// and blocking-pool threads for its writes and fsync, so the rest queue here.
const MAX_CONCURRENT_DOWNLOADS: usize = 32;
/// Characters of an error body kept in messages.
const ERROR_BODY_CHARS: usize = 1000;

/// A video stored on disk.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its final path.
    pub path: PathBuf,
    /// Its size.
    pub size_bytes: u64,
    /// Its MIME type.
    pub mime_type: String,
}

/// A file read into memory.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The type its `Content-Type` names, without parameters ("" when none).
    pub mime_type: String,
}

/// Why a video could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The URL (or a redirect) is not one we fetch.
    #[error("refused to fetch {0}")]
    Refused(String),
    /// The file is bigger than the cap.
    #[error("the file is larger than {limit_bytes} bytes")]
    TooLarge {
        /// The cap.
        limit_bytes: u64,
    },
    /// The body ended before its announced length.
    #[error("the download stopped after {received} of {expected} bytes")]
    Truncated {
        /// Bytes announced by Content-Length.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// The server answered with an error status.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status.
        status: StatusCode,
        /// The start of the body.
        body: String,
    },
    /// Connecting or reading failed.
    #[error("transport error: {0}")]
    Transport(String),
    /// The base64 data is not base64.
    #[error("invalid base64 video data: {0}")]
    InvalidBase64(String),
    /// The local file could not be written.
    #[error("cannot write the video file: {0}")]
    Io(String),
}

impl DownloadError {
    fn io(error: std::io::Error) -> Self {
        Self::Io(error.to_string())
    }

    /// Whether fetching again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Truncated { .. } | Self::Transport(_) | Self::Io(_) => true,
            Self::Status { status, .. } => status.is_server_error() || *status == 429,
            _ => false,
        }
    }
}

/// Headers sent only to one origin (scheme, host and port all equal).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The API's origin.
    pub origin: url::Origin,
    /// The headers (API key, secret, bearer token).
    pub headers: HeaderMap,
}

/// Fetches videos by URL under one policy.
#[derive(Debug, Clone)]
pub struct Downloader {
    client: reqwest::Client,
    policy: AddressPolicy,
    max_bytes: u64,
    running: Arc<Semaphore>,
}

impl Downloader {
    /// A downloader refusing more than `max_bytes`, idle reads longer than `read_timeout`,
    /// and (unless allowed) private addresses.
    pub fn new(
        policy: AddressPolicy,
        max_bytes: u64,
        read_timeout: Duration,
    ) -> Result<Self, net::ClientError> {
        let client = net::client_builder()
            .dns_resolver(Arc::new(GuardedResolver(policy)))
            .connect_timeout(read_timeout)
            .read_timeout(read_timeout)
            .build()?;
        Ok(Self {
            client,
            policy,
            max_bytes,
            running: Arc::new(Semaphore::new(MAX_CONCURRENT_DOWNLOADS)),
        })
    }

    /// The size cap in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Streams `url` into `<target>.<ext>`, following at most 5 checked redirects;
    /// `credentials` are attached only on their own origin. Waits its turn behind
    /// the downloads already running (at most 32 at once).
    pub async fn fetch(
        &self,
        url: &Url,
        credentials: Option<&Credentials>,
        target: &OutputTarget,
    ) -> Result<Stored, DownloadError> {
        let _turn = self.turn().await?;
        let (current, response) = self.open(url, credentials).await?;
        self.store(&current, response, target).await
    }

    /// Reads `url` (no credentials, the same checks and redirects as
    /// [`Downloader::fetch`]) into memory, refusing more than `max_bytes`: an
    /// input image or video a request names by its address.
    pub async fn fetch_bytes(&self, url: &Url, max_bytes: u64) -> Result<Fetched, DownloadError> {
        let _turn = self.turn().await?;
        let (_, mut response) = self.open(url, None).await?;
        let too_large = DownloadError::TooLarge {
            limit_bytes: max_bytes,
        };
        if response
            .content_length()
            .is_some_and(|length| length > max_bytes)
        {
            return Err(too_large);
        }
        let mime_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched { bytes, mime_type })
    }

    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, DownloadError> {
        self.running
            .acquire()
            .await
            .map_err(|_| DownloadError::Refused("the downloader is closed".into()))
    }

    /// The first answer that is no redirect, and the URL that gave it; every
    /// hop is checked against the policy.
    async fn open(
        &self,
        url: &Url,
        credentials: Option<&Credentials>,
    ) -> Result<(Url, reqwest::Response), DownloadError> {
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            self.check(&current)?;
            let mut request = self.client.get(current.clone());
            if let Some(credentials) = credentials
                && current.origin() == credentials.origin
            {
                request = request.headers(credentials.headers.clone());
            }
            let response = request.send().await.map_err(transport)?;
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .ok_or_else(|| DownloadError::Refused("a redirect without Location".into()))?;
                current = current
                    .join(location)
                    .map_err(|_| DownloadError::Refused(format!("redirect to `{location}`")))?;
                continue;
            }
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                return Err(DownloadError::Status {
                    status,
                    body: truncate(&body),
                });
            }
            return Ok((current, response));
        }
        Err(DownloadError::Refused(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    fn check(&self, url: &Url) -> Result<(), DownloadError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(DownloadError::Refused(format!("a `{}` URL", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(DownloadError::Refused("a URL with user credentials".into()));
        }
        net::check_literal_host(url, self.policy)
            .map_err(|ip| DownloadError::Refused(format!("the private address {ip}")))
    }

    async fn store(
        &self,
        url: &Url,
        mut response: reqwest::Response,
        target: &OutputTarget,
    ) -> Result<Stored, DownloadError> {
        let expected = response.content_length();
        if expected.is_some_and(|length| length > self.max_bytes) {
            return Err(DownloadError::TooLarge {
                limit_bytes: self.max_bytes,
            });
        }
        let mime_type = mime_type(url, &response).unwrap_or_else(|| "video/mp4".to_owned());
        let mut file = PartFile::create(target).await.map_err(DownloadError::io)?;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => {
                    return Err(match expected {
                        Some(expected) => DownloadError::Truncated {
                            expected,
                            received: file.written(),
                        },
                        None => transport(error),
                    });
                }
            };
            file.write(&chunk).await.map_err(DownloadError::io)?;
            if file.written() > self.max_bytes {
                return Err(DownloadError::TooLarge {
                    limit_bytes: self.max_bytes,
                });
            }
        }
        if let Some(expected) = expected
            && expected != file.written()
        {
            return Err(DownloadError::Truncated {
                expected,
                received: file.written(),
            });
        }
        let size_bytes = file.written();
        let path = file
            .commit(target, media_type::extension(&mime_type))
            .await
            .map_err(DownloadError::io)?;
        crate::metrics::downloaded(size_bytes);
        Ok(Stored {
            path,
            size_bytes,
            mime_type,
        })
    }
}

/// The type the answer's Content-Type names, else the one its path's
/// extension implies.
fn mime_type(url: &Url, response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(media_type::from_content_type)
        .or_else(|| media_type::from_extension(url.path()).map(str::to_owned))
}

fn transport(error: reqwest::Error) -> DownloadError {
    DownloadError::Transport(error.without_url().to_string())
}

/// The first 1000 characters of an error body.
pub fn truncate(body: &str) -> String {
    body.chars().take(ERROR_BODY_CHARS).collect()
}
