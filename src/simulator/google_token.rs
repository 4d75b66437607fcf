//! Google's OAuth2 token endpoint, `POST /token`: the service-account
//! JWT-bearer grant (an RS256 assertion signed with [`super::service_account`]'s
//! key), and the Bearer check of the Vertex and Cloud Storage routes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::json;

use super::endpoint::Endpoint;
use super::faults::{Flavor, bearer, enter, google_error, json_response};
use super::service_account::SIM_CLIENT_EMAIL;
use super::state::Shared;

/// The grant type of a service-account token request.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The scope Vertex AI and Cloud Storage need.
const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Google's own token URI, accepted as an audience besides the simulator's.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// Largest form body read.
const MAX_FORM_BODY: usize = 64 * 1024;
/// Clock skew allowed on `iat` and `exp`.
const LEEWAY_SECS: u64 = 30;
/// Longest assertion lifetime Google accepts (`exp - iat`).
const MAX_ASSERTION_SECS: i64 = 3600;

const SHORT_LIVED: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in \
     a reasonable timeframe. Check your iat and exp values in the JWT claim.";
const UNAUTHENTICATED: &str = "Request had invalid authentication credentials. Expected OAuth 2 \
     access token, login cookie or other valid authentication credential.";

/// The claims checked beyond what [`Validation`] checks.
#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    scope: Option<String>,
    iat: i64,
    exp: i64,
}

/// An OAuth2 error answer (`400 {"error", "error_description"}`).
fn grant_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": error, "error_description": description}),
    )
}

/// `POST /token`: issues an access token for a valid assertion.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = enter(&shared, Endpoint::GoogleToken, &headers, Flavor::Google).await {
        return response;
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BODY).await else {
        return grant_error("invalid_request", "Request body unreadable or too large.");
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    match form.get("grant_type").map(String::as_str) {
        Some(JWT_BEARER) => {}
        Some(other) => {
            let description = format!("Invalid grant_type: {other}");
            return grant_error("unsupported_grant_type", &description);
        }
        None => return grant_error("invalid_request", "Missing required parameter: grant_type"),
    }
    let Some(assertion) = form.get("assertion") else {
        return grant_error("invalid_request", "Missing required parameter: assertion");
    };
    if let Err(description) = verify(&shared, assertion) {
        tracing::debug!(reason = description, "token request refused");
        return grant_error("invalid_grant", description);
    }
    let lifetime = shared.knobs().token_lifetime_secs;
    let access_token = format!("sim-ya29.{}", shared.next_id());
    shared
        .lock()
        .veo
        .issue_token(access_token.clone(), Duration::from_secs(lifetime));
    tracing::debug!(lifetime_secs = lifetime, "access token issued");
    json_response(
        StatusCode::OK,
        &json!({"access_token": access_token, "expires_in": lifetime, "token_type": "Bearer"}),
    )
}

/// Checks an assertion: signature, issuer, audience, scope and times.
/// Google accepts base64url segments with `=` padding (yup-oauth2 pads), so
/// the signature is checked over the segments as sent and the claims are read
/// from them unpadded.
fn verify(shared: &Shared, assertion: &str) -> Result<(), &'static str> {
    const UNDECODABLE: &str = "Invalid JWT: the assertion cannot be decoded.";
    let key = shared.service_account.verifying_key();
    let (message, signature) = assertion.rsplit_once('.').ok_or(UNDECODABLE)?;
    let signed = jsonwebtoken::crypto::verify(
        signature.trim_end_matches('='),
        message.as_bytes(),
        key,
        Algorithm::RS256,
    )
    .map_err(|_| UNDECODABLE)?;
    if !signed {
        return Err("Invalid JWT Signature.");
    }
    let unpadded = assertion
        .split('.')
        .map(|part| part.trim_end_matches('='))
        .collect::<Vec<_>>()
        .join(".");
    let token =
        jsonwebtoken::dangerous::insecure_decode::<Claims>(&unpadded).map_err(|_| UNDECODABLE)?;
    if token.header.alg != Algorithm::RS256 {
        return Err(UNDECODABLE);
    }
    let claims = token.claims;
    let now = chrono::Utc::now().timestamp();
    let leeway = LEEWAY_SECS as i64;
    if claims.iss != SIM_CLIENT_EMAIL {
        return Err("Invalid grant: account not found");
    }
    let audiences = [
        format!("{}/token", shared.base_url),
        GOOGLE_TOKEN_URI.to_owned(),
    ];
    if !audiences.contains(&claims.aud) {
        return Err("Invalid JWT: Failed audience check.");
    }
    if claims.exp + leeway < now
        || claims.iat > now + leeway
        || claims.exp - claims.iat > MAX_ASSERTION_SECS + leeway
    {
        return Err(SHORT_LIVED);
    }
    let scoped = claims
        .scope
        .as_deref()
        .is_some_and(|scope| scope.split_whitespace().any(|s| s == CLOUD_PLATFORM));
    if !scoped {
        return Err("Invalid OAuth scope or ID token audience provided.");
    }
    Ok(())
}

/// `None` when the request carries `Authorization: Bearer <a live token
/// issued here>`, else Google's `401 UNAUTHENTICATED`.
pub(crate) fn unauthenticated(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let live = bearer(headers).is_some_and(|token| shared.lock().veo.token_is_valid(token));
    if live { None } else { Some(refused()) }
}

fn refused() -> Response {
    tracing::debug!("Google call without a live access token");
    let mut response = google_error(StatusCode::UNAUTHORIZED, UNAUTHENTICATED);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
    );
    response
}
