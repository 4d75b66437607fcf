//! Provider callbacks as wake-ups (`GENWORKER_CALLBACK_URL`): each task gets a
//! callback address under that base carrying an unguessable token, an HMAC
//! (SHA-256, keyed by `GENWORKER_CALLBACK_SECRET`) of the provider and the task
//! key, checked in constant time. A callback only wakes the job, which then asks
//! the provider for the task's state: its body is never trusted as the result.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use url::Url;

/// The path under the base URL: `/callbacks/<provider>/<task key>/<token>`.
pub const PATH: &str = "/callbacks";

/// How callback addresses are made and checked.
#[derive(Clone)]
pub struct CallbackKeys {
    base: Url,
    secret: SecretString,
}

impl std::fmt::Debug for CallbackKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackKeys")
            .field("base", &self.base.as_str())
            .field("secret", &"***")
            .finish()
    }
}

impl CallbackKeys {
    /// Addresses under `base` (the public URL of `GENWORKER_HTTP_ADDR`).
    pub fn new(base: Url, secret: SecretString) -> Self {
        Self { base, secret }
    }

    fn mac(&self, provider: &str, task_key: &str) -> Hmac<Sha256> {
        // Any key length is valid for HMAC.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(provider.as_bytes());
        mac.update(b"\n");
        mac.update(task_key.as_bytes());
        mac
    }

    /// The callback address of `provider`'s task named `task_key`.
    pub fn url_for(&self, provider: &str, task_key: &str) -> String {
        let token = URL_SAFE_NO_PAD.encode(self.mac(provider, task_key).finalize().into_bytes());
        let mut url = self.base.clone();
        // An http(s) base with a host (checked at start-up) always has segments.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend([&PATH[1..], provider, task_key, token.as_str()]);
        }
        url.into()
    }

    /// Whether `token` is the one [`CallbackKeys::url_for`] gives (constant time).
    pub fn verify(&self, provider: &str, task_key: &str, token: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        self.mac(provider, task_key).verify_slice(&given).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> CallbackKeys {
        CallbackKeys::new(
            Url::parse("https://genworker.example.com/").unwrap(),
            SecretString::from(secret.to_owned()),
        )
    }

    #[test]
    fn a_token_is_checked_against_its_provider_task_and_secret() {
        let ours = keys("a-long-callback-secret");
        let url = ours.url_for("kling", "run-1");
        let token = url.rsplit('/').next().unwrap();
        assert!(url.starts_with("https://genworker.example.com/callbacks/kling/run-1/"));
        assert!(ours.verify("kling", "run-1", token));
        assert!(!ours.verify("kling", "run-2", token), "another task");
        assert!(!ours.verify("veo", "run-1", token), "another provider");
        assert!(!keys("another-secret-entirely").verify("kling", "run-1", token));
        assert!(!ours.verify("kling", "run-1", "not base64 !"));
        assert!(!ours.verify("kling", "run-1", &token[..token.len() - 2]));
        assert!(!format!("{ours:?}").contains("a-long-callback-secret"));
    }
}
