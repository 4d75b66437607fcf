//! Logs: JSON lines carry the request span's fields, and no secret leaks. The
//! full demo, in the three Kling API styles, both Veo API styles and both log
//! formats, with every secret set (Kling key and secret, the JWT derived from
//! them, the bot token that sits inside Telegram URLs, the Gemini API key, the
//! service account's private key, the JWT assertion signed with it and the
//! OAuth2 access tokens) and every log level on, must not print any of them,
//! nor store any of them in an error column.

use diesel::prelude::*;
use genworker::cli::DEMO_SECRETS;
use genworker::db::DbError;
use genworker::schema::{botapp_genrequest as req, genworker_lease as lease};
use genworker::with_conn;

use crate::support::{TestDb, genworker_cli, success};

/// What no output may hold: each secret, the start of any JWT (`{"alg"…`
/// base64url-encoded: the official style's token, the service account's
/// assertion), a private key, and the simulator's access tokens.
fn forbidden() -> Vec<&'static str> {
    let mut all = DEMO_SECRETS.to_vec();
    all.extend(["eyJ", "PRIVATE KEY", "sim-ya29."]);
    all
}

#[tokio::test]
async fn the_demo_never_logs_or_stores_a_secret() {
    for (style, veo_style) in [
        ("generic", "vertex"),
        ("official", "gemini"),
        ("useapi", "vertex"),
    ] {
        for format in ["text", "json"] {
            let db = TestDb::sqlite();
            let output = genworker_cli(
                tempfile::tempdir().unwrap().path(),
                &[("RUST_LOG", "trace"), ("LOG_FORMAT", format)],
                &[
                    "demo",
                    "--kling-style",
                    style,
                    "--veo-style",
                    veo_style,
                    "--database-url",
                    db.url(),
                ],
            );
            let stdout = success(&output);
            let stderr = String::from_utf8_lossy(&output.stderr);
            // The logs are really there: every level, our spans and the HTTP stack's.
            for expected in ["request done", "hyper_util", "request.run_code"] {
                assert!(
                    stderr.contains(expected),
                    "{style}/{format}: no `{expected}` in the logs:\n{stderr}"
                );
            }
            if format == "json" {
                let done: Vec<serde_json::Value> = stderr
                    .lines()
                    .filter(|line| line.contains("\"request done\""))
                    .filter_map(|line| serde_json::from_str(line).ok())
                    .collect();
                assert_eq!(
                    done.len(),
                    3,
                    "{style}: three `request done` lines:\n{stderr}"
                );
                for line in &done {
                    // DESIGN §10: the request span's fields on every line logged inside it.
                    for field in [
                        "request.id",
                        "request.run_code",
                        "provider",
                        "provider.task_id",
                    ] {
                        assert!(
                            !line["span"][field].is_null(),
                            "{style}: span field {field} missing: {line}"
                        );
                    }
                }
                let mut providers: Vec<&str> = done
                    .iter()
                    .filter_map(|line| line["span"]["provider"].as_str())
                    .collect();
                providers.sort_unstable();
                assert_eq!(providers, ["kling", "kling", "veo"]);
            }
            let pool = db.open().await;
            let errors: Vec<String> = with_conn!(&pool, |conn| {
                let mut all: Vec<String> = req::table.select(req::error_message).load(conn)?;
                all.extend(
                    lease::table
                        .select(lease::last_error)
                        .load::<String>(conn)?,
                );
                all.extend(
                    req::table
                        .select(req::provider_metadata)
                        .load::<genworker::db::types::JsonDoc>(conn)?
                        .into_iter()
                        .map(|doc| doc.0.to_string()),
                );
                Ok::<_, DbError>(all)
            })
            .unwrap();
            assert_eq!(errors.len(), 9, "three requests, their leases and metadata");
            for secret in forbidden() {
                for (what, text) in [("stdout", stdout.as_str()), ("logs", &stderr)] {
                    assert!(
                        !text.contains(secret),
                        "{style}/{format}: `{secret}` in the {what}"
                    );
                }
                for stored in &errors {
                    assert!(
                        !stored.contains(secret),
                        "{style}/{format}: `{secret}` stored: {stored}"
                    );
                }
            }
        }
    }
}
