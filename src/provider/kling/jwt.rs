//! Kling's JWT: HS256, `iss` = the access key (`KLING_API_KEY`), signed with the
//! secret key (`KLING_API_SECRET`), valid 30 minutes from 5 seconds ago;
//! reused until 5 minutes before it expires, then replaced.

use std::sync::Mutex;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// Lifetime of a token.
const LIFETIME_SECS: i64 = 1800;
/// A token this close to expiry is replaced.
const REFRESH_BEFORE_SECS: i64 = 300;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    exp: i64,
    nbf: i64,
}

/// Why no token could be handed out.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// A thread panicked while it held the cached token.
    #[error("Kling token cache is poisoned")]
    Poisoned,
    /// jsonwebtoken could not sign the claims (its error never holds the key).
    #[error("cannot sign the Kling JWT: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// Hands out a valid token, signing a new one when needed.
pub struct TokenSource {
    access_key: SecretString,
    secret_key: SecretString,
    current: Mutex<Option<(SecretString, i64)>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSource([redacted])")
    }
}

impl TokenSource {
    /// A source for this key pair.
    pub fn new(access_key: SecretString, secret_key: SecretString) -> Self {
        Self {
            access_key,
            secret_key,
            current: Mutex::new(None),
        }
    }

    /// A token valid for at least five more minutes.
    pub fn token(&self) -> Result<String, JwtError> {
        self.token_at(chrono::Utc::now().timestamp())
    }

    fn token_at(&self, now: i64) -> Result<String, JwtError> {
        let mut current = self.current.lock().map_err(|_| JwtError::Poisoned)?;
        if let Some((token, expires)) = current.as_ref()
            && *expires - now > REFRESH_BEFORE_SECS
        {
            return Ok(token.expose_secret().to_owned());
        }
        let expires = now + LIFETIME_SECS;
        let claims = Claims {
            iss: self.access_key.expose_secret(),
            exp: expires,
            nbf: now - 5,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret_key.expose_secret().as_bytes()),
        )
        .map_err(JwtError::Sign)?;
        *current = Some((SecretString::from(token.clone()), expires));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    #[derive(serde::Deserialize)]
    struct Decoded {
        iss: String,
        exp: i64,
        nbf: i64,
    }

    #[test]
    fn tokens_are_signed_reused_and_refreshed_before_expiry() {
        let source = TokenSource::new("access".to_owned().into(), "secret".to_owned().into());
        let now = chrono::Utc::now().timestamp();
        let first = source.token_at(now).unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["access"]);
        let claims = decode::<Decoded>(&first, &DecodingKey::from_secret(b"secret"), &validation)
            .unwrap()
            .claims;
        assert_eq!(claims.iss, "access");
        assert_eq!(claims.exp, now + 1800);
        assert_eq!(claims.nbf, now - 5);
        assert_eq!(
            source.token_at(now + 1400).unwrap(),
            first,
            "still fresh: reused"
        );
        let second = source.token_at(now + 1600).unwrap();
        assert_ne!(second, first, "within five minutes of expiry: replaced");
        assert!(
            decode::<Decoded>(&first, &DecodingKey::from_secret(b"wrong"), &validation).is_err()
        );
    }
}
