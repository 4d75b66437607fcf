//! Why a provider, or the runner around it, could not be built from its
//! settings. The text names the setting at fault, never a secret's value; the
//! registry records it as the reason the provider is not served.

use super::veo::GoogleAuthError;
use crate::net::ClientError;

/// A provider set-up failure.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A required setting is not set.
    #[error("{0} is not set")]
    NotSet(&'static str),
    /// The chosen API style needs settings that are not set.
    #[error("{style} needs {needs}")]
    StyleNeeds {
        /// The style, as `VARIABLE=value`.
        style: &'static str,
        /// The settings it needs.
        needs: &'static str,
    },
    /// The useapi.net style was chosen but its settings were not read.
    #[error("the useapi.net settings were not read")]
    UseapiUnread,
    /// A credential cannot go into an HTTP header (its value is not shown).
    #[error("{0}: not a valid header value")]
    InvalidHeader(&'static str),
    /// An endpoint setting does not make a URL with the API's base.
    #[error("{setting}: {source}")]
    Endpoint {
        /// The setting.
        setting: &'static str,
        /// Why it does not join.
        #[source]
        source: url::ParseError,
    },
    /// The provider's API client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The downloader for its videos, or for the media requests name by
    /// address, could not be built.
    #[error("the downloader: {0}")]
    Downloader(#[source] ClientError),
    /// The Google service-account key is unusable.
    #[error(transparent)]
    GoogleAuth(#[from] GoogleAuthError),
}
