//! S3-compatible storage (AWS S3, Supabase Storage, MinIO) through
//! `object_store`: the finished file is read from disk in chunks and sent as a
//! multipart upload, so memory stays bounded whatever the video's size.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes, ObjectStore, PutMultipartOptions, WriteMultipart};
use secrecy::ExposeSecret;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

use super::{ResultStore, StorageError, video_key};
use crate::settings::S3Settings;

/// Bytes per part (S3's minimum for every part but the last).
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts of one upload in flight at once; with the part being filled and the read
/// buffer, this bounds an upload's memory to about
/// `(PARTS_IN_FLIGHT + 1) × PART_BYTES + READ_BYTES` = 11 MiB.
const PARTS_IN_FLIGHT: usize = 1;
/// Uploads at once; the rest wait their turn (thousands of jobs may finish
/// together). With [`PARTS_IN_FLIGHT`], all uploads together hold about 44 MiB,
/// whatever the videos' sizes: room within the 256 MiB for 10,000 jobs in flight.
const MAX_CONCURRENT_UPLOADS: usize = 4;
/// Bytes read from the file at a time.
const READ_BYTES: usize = 1024 * 1024;

/// Uploads videos to one bucket; `result_urls` get `S3_PUBLIC_URL` + key.
pub struct S3Store {
    store: AmazonS3,
    bucket: String,
    public_url: String,
    running: Arc<Semaphore>,
}

impl std::fmt::Debug for S3Store {
    // AmazonS3's own Debug reaches into the credentials; print only what is public.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// A client for the bucket of `settings`. Path-style requests (what MinIO,
    /// Supabase and custom endpoints expect); plain `http` only when the endpoint is.
    pub fn new(settings: &S3Settings) -> Result<Self, StorageError> {
        // reqwest is built with `rustls-no-provider`: TLS needs the process-wide provider.
        crate::net::install_crypto_provider();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|error| StorageError::Setup(format!("the S3_* settings: {error}")))?;
        Ok(Self {
            store,
            bucket: settings.bucket.clone(),
            public_url: settings.public_url.clone(),
            running: Arc::new(Semaphore::new(MAX_CONCURRENT_UPLOADS)),
        })
    }

    /// Streams `file` to `key` as a multipart upload; a failed upload is aborted
    /// so the bucket keeps no orphaned parts.
    async fn upload(&self, file: &Path, key: &str, mime_type: &str) -> Result<(), StorageError> {
        let failed = |error: object_store::Error| StorageError::Upload {
            key: key.to_owned(),
            reason: error.to_string(),
        };
        let mut source = tokio::fs::File::open(file).await?;
        let location = ObjectPath::parse(key).map_err(|error| failed(error.into()))?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, mime_type.to_owned().into());
        let options = PutMultipartOptions {
            attributes,
            ..PutMultipartOptions::default()
        };
        let upload = self
            .store
            .put_multipart_opts(&location, options)
            .await
            .map_err(failed)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        match send(&mut source, &mut writer).await {
            Ok(()) => writer.finish().await.map(drop).map_err(failed),
            Err(error) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(%abort, key, "cannot abort the failed upload");
                }
                Err(match error {
                    Sent::Read(error) => StorageError::Read(error),
                    Sent::Upload(error) => failed(error),
                })
            }
        }
    }
}

enum Sent {
    Read(std::io::Error),
    Upload(object_store::Error),
}

/// Feeds the file into the upload, waiting whenever enough parts are in flight.
async fn send(source: &mut tokio::fs::File, writer: &mut WriteMultipart) -> Result<(), Sent> {
    loop {
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(Sent::Upload)?;
        let mut buffer = vec![0; READ_BYTES];
        let read = source.read(&mut buffer).await.map_err(Sent::Read)?;
        if read == 0 {
            return Ok(());
        }
        buffer.truncate(read);
        writer.put(Bytes::from(buffer));
    }
}

#[async_trait]
impl ResultStore for S3Store {
    async fn publish(&self, file: &Path, mime_type: &str) -> Result<String, StorageError> {
        let key = video_key(file)?;
        let _turn = self
            .running
            .acquire()
            .await
            .map_err(|_| StorageError::Setup("the uploader is closed".into()))?;
        self.upload(file, &key, mime_type).await?;
        Ok(format!("{}{key}", self.public_url))
    }

    fn is_remote(&self) -> bool {
        true
    }
}
