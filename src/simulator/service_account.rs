//! The simulator's Google service account: one 2048-bit RSA key pair per
//! process, made the first time a simulator starts, and the key JSON a client
//! loads (as from `GOOGLE_APPLICATION_CREDENTIALS_JSON`) to sign token requests.

use std::io;
use std::sync::OnceLock;

use jsonwebtoken::DecodingKey;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use serde_json::json;

/// The Google Cloud project the simulated service account belongs to; Vertex
/// paths must name it.
pub const SIM_VERTEX_PROJECT: &str = "sim-project";
/// The simulated service account's e-mail, the `iss` of its token requests.
pub const SIM_CLIENT_EMAIL: &str = "genworker-sim@sim-project.iam.gserviceaccount.com";

/// RSA modulus size of the key pair.
const KEY_BITS: usize = 2048;

/// The key pair, with what the token endpoint needs to verify a signature.
pub(crate) struct ServiceAccount {
    private_key_pem: String,
    private_key_id: String,
    verifying_key: DecodingKey,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key is never printed.
        f.debug_struct("ServiceAccount")
            .field("client_email", &SIM_CLIENT_EMAIL)
            .finish_non_exhaustive()
    }
}

/// The process's service account, generated on first use (off the async
/// threads: it takes a moment).
pub(crate) async fn service_account() -> io::Result<&'static ServiceAccount> {
    static ACCOUNT: OnceLock<Result<ServiceAccount, String>> = OnceLock::new();
    let account = match ACCOUNT.get() {
        Some(account) => account,
        None => tokio::task::spawn_blocking(|| ACCOUNT.get_or_init(generate))
            .await
            .map_err(io::Error::other)?,
    };
    account
        .as_ref()
        .map_err(|error| io::Error::other(format!("simulator service account key: {error}")))
}

fn generate() -> Result<ServiceAccount, String> {
    let started = std::time::Instant::now();
    let key = RsaPrivateKey::new(&mut OsRng, KEY_BITS).map_err(|e| e.to_string())?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    let modulus = key.n().to_bytes_be();
    let verifying_key = DecodingKey::from_rsa_raw_components(&modulus, &key.e().to_bytes_be());
    let private_key_id = modulus
        .iter()
        .skip(1)
        .take(20)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis(),
        "simulator service account key generated"
    );
    Ok(ServiceAccount {
        private_key_pem: pem.as_str().to_owned(),
        private_key_id,
        verifying_key,
    })
}

impl ServiceAccount {
    /// The key that verifies the account's RS256 signatures.
    pub fn verifying_key(&self) -> &DecodingKey {
        &self.verifying_key
    }

    /// Google's service-account key JSON, its token URI on `base_url`.
    pub fn key_json(&self, base_url: &str) -> String {
        let client_id = "104242424242424242424";
        json!({
            "type": "service_account",
            "project_id": SIM_VERTEX_PROJECT,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key_pem,
            "client_email": SIM_CLIENT_EMAIL,
            "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": format!("{base_url}/token"),
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": format!(
                "https://www.googleapis.com/robot/v1/metadata/x509/{}",
                SIM_CLIENT_EMAIL.replace('@', "%40")
            ),
            "universe_domain": "googleapis.com",
        })
        .to_string()
    }
}
