//! Outbound HTTP shared by the providers, downloads and Telegram: one way to
//! build a client, the address policy for fetched URLs, and retry timing.

mod address;
mod retry;

pub use address::{AddressPolicy, GuardedResolver, check_literal_host};
pub use retry::{Backoff, retry_after};

/// A reqwest client that could not be built (its TLS or resolver set-up failed).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// A reqwest client builder with TLS set up (rustls with the ring provider) and
/// no automatic redirects: callers that follow redirects check every hop.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("genworker/", env!("CARGO_PKG_VERSION")))
}

/// Makes ring the process's TLS provider (reqwest is built without one), for
/// clients built elsewhere too (the S3 store's).
pub fn install_crypto_provider() {
    // Installing twice returns an error that only says a provider is already set.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
