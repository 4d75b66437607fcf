//! The token endpoint and the Bearer check: a token only for an assertion the
//! service account signed, with the right issuer, scope and times; Vertex and
//! Cloud Storage take only live tokens it issued.

use std::time::Duration;

use genworker::simulator::{Endpoint, Knobs, SIM_CLIENT_EMAIL, SIM_VERTEX_PROJECT, Simulator};
use serde_json::{Value, json};

use super::support::*;

const UNAUTHENTICATED: &str = "Request had invalid authentication credentials. Expected OAuth 2 \
     access token, login cookie or other valid authentication credential.";

#[tokio::test]
async fn the_service_account_json_is_a_google_key_file_for_this_simulator() {
    let sim = start(Knobs::default()).await;
    let account = account(&sim);
    assert_eq!(account["type"], "service_account");
    assert_eq!(account["project_id"], SIM_VERTEX_PROJECT);
    assert_eq!(account["client_email"], SIM_CLIENT_EMAIL);
    assert_eq!(account["token_uri"], format!("{}/token", sim.base_url()));
    let pem = account["private_key"].as_str().unwrap();
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{}",
        &pem[..40]
    );
    assert!(pem.trim_end().ends_with("-----END PRIVATE KEY-----"));
    assert_eq!(account["private_key_id"].as_str().map(str::len), Some(40));
    for field in ["client_id", "auth_uri"] {
        assert!(account[field].is_string(), "{field}");
    }
    // One key pair per process: a second simulator has the same key.
    let other = start(Knobs::default()).await;
    assert_eq!(
        super::support::account(&other)["private_key"],
        account["private_key"]
    );
}

#[tokio::test]
async fn a_token_is_issued_for_a_valid_assertion() {
    let sim = start(Knobs {
        token_lifetime_secs: 1234,
        ..Knobs::default()
    })
    .await;
    let (status, body) = request_token(&sim, &sign(&sim, &claims(&sim))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1234);
    let token = body["access_token"].as_str().unwrap();
    assert!(token.starts_with("sim-ya29."), "{token}");
    let (status, second) = request_token(&sim, &sign(&sim, &claims(&sim))).await;
    assert_eq!(status, 200);
    assert_ne!(
        second["access_token"], body["access_token"],
        "a new token each time"
    );
    // Google's own token URI is a valid audience too.
    let mut google_aud = claims(&sim);
    google_aud["aud"] = json!("https://oauth2.googleapis.com/token");
    assert_eq!(request_token(&sim, &sign(&sim, &google_aud)).await.0, 200);
    assert_eq!(sim.calls(Endpoint::GoogleToken), 3);
    let (status, _) = vertex_submit(&sim, token, &vertex_body()).await;
    assert_eq!(status, 200, "the token opens Vertex");
}

/// A valid assertion with one claim replaced (`Null` removes it).
fn with(sim: &Simulator, claim: &str, value: Value) -> Value {
    let mut claims = claims(sim);
    match value {
        Value::Null => {
            claims.as_object_mut().unwrap().remove(claim);
        }
        value => claims[claim] = value,
    }
    claims
}

#[tokio::test]
async fn a_token_is_refused_for_a_bad_assertion() {
    let sim = start(Knobs::default()).await;
    let now = chrono::Utc::now().timestamp();
    // Another payload under a valid signature: the signature no longer matches.
    let valid = sign(&sim, &claims(&sim));
    let other = sign(
        &sim,
        &with(
            &sim,
            "scope",
            json!("https://www.googleapis.com/auth/other"),
        ),
    );
    let [head, _, signature] = valid.split('.').collect::<Vec<_>>()[..] else {
        panic!("not a JWT: {valid}");
    };
    let forged = format!("{head}.{}.{signature}", other.split('.').nth(1).unwrap());
    let cases = [
        (forged, "Invalid JWT Signature."),
        (
            sign(
                &sim,
                &with(&sim, "iss", json!("someone@else.iam.gserviceaccount.com")),
            ),
            "account not found",
        ),
        (
            sign(&sim, &with(&sim, "exp", json!(now - 3600))),
            "short-lived token",
        ),
        (
            sign(&sim, &with(&sim, "exp", json!(now + 7200))),
            "short-lived token",
        ),
        (sign(&sim, &with(&sim, "scope", Value::Null)), "scope"),
        (
            sign(
                &sim,
                &with(
                    &sim,
                    "scope",
                    json!("https://www.googleapis.com/auth/devstorage.read_only"),
                ),
            ),
            "scope",
        ),
        (
            sign(&sim, &with(&sim, "aud", json!("https://example.com/token"))),
            "audience",
        ),
        ("not-a-jwt".to_owned(), "Invalid JWT"),
    ];
    for (assertion, expected) in cases {
        let (status, body) = request_token(&sim, &assertion).await;
        assert_eq!(status, 400, "{expected}: {body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(expected), "{expected}: {description}");
    }
    let (status, body) = send(
        http()
            .post(format!("{}/token", sim.base_url()))
            .form(&[("grant_type", "client_credentials"), ("assertion", &valid)]),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    // The refusals left nothing behind: the valid assertion still gets a token.
    assert_eq!(request_token(&sim, &valid).await.0, 200);
}

#[tokio::test]
async fn vertex_and_storage_refuse_missing_unknown_and_expired_tokens() {
    let sim = start(Knobs {
        token_lifetime_secs: 1,
        ..Knobs::default()
    })
    .await;
    let submit = vertex_url(&sim, MODEL, "predictLongRunning");
    let object = format!(
        "{}/download/storage/v1/b/sim-bucket/o/veo%2Fx%2Fsample_0.mp4?alt=media",
        sim.base_url()
    );
    let refused = |(status, body): (u16, Value)| {
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            body,
            json!({"error": {"code": 401, "message": UNAUTHENTICATED, "status": "UNAUTHENTICATED"}})
        );
    };
    refused(send(http().post(&submit).json(&vertex_body())).await);
    refused(
        send(
            http()
                .post(&submit)
                .bearer_auth("sim-ya29.guessed")
                .json(&vertex_body()),
        )
        .await,
    );
    refused(send(http().get(&object)).await);

    let token = token(&sim).await;
    assert_eq!(vertex_submit(&sim, &token, &vertex_body()).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    refused(vertex_submit(&sim, &token, &vertex_body()).await);
    refused(send(http().get(&object).bearer_auth(&token)).await);
    assert_eq!(sim.operations_count(), 1, "refused submits start nothing");
    assert_eq!(
        sim.calls(Endpoint::VeoSubmit),
        4,
        "refused calls are counted"
    );
}
