//! Why the daemon could not start: each variant names the part of its set-up
//! that failed.

use std::net::SocketAddr;

use super::liveness::LivenessError;
use crate::metrics::InstallError;
use crate::net::ClientError;
use crate::storage::StorageError;

/// A daemon set-up failure.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The Telegram client (`TELEGRAM_BOT_TOKEN` is set) could not be built.
    #[error("cannot set up the Telegram client: {0}")]
    Telegram(#[source] ClientError),
    /// The result storage could not be set up from its settings.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The metrics recorder could not be installed.
    #[error(transparent)]
    Metrics(#[from] InstallError),
    /// The health and metrics endpoint could not listen.
    #[error("cannot listen on GENWORKER_HTTP_ADDR {addr}: {source}")]
    Listen {
        /// `GENWORKER_HTTP_ADDR`.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// This worker could not register in the worker registry (`GENWORKER_TAKEOVER`).
    #[error("cannot join the worker registry: {0}")]
    Liveness(#[from] LivenessError),
}
