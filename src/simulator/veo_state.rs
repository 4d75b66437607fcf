//! Veo's state in the simulator: long-running operations, how one advances
//! under the knobs, the videos finished ones left in Cloud Storage or as Gemini
//! files, and the access tokens the token endpoint issued.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::clip::video_size;
use super::knobs::{Knobs, Outcome, ResultMode};

/// Where `GET /v1beta/files/{id}:download` sends the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum GeminiRedirect {
    /// `302` to `<base>/_sim/blob/{id}`: the same origin, so a client that
    /// follows redirects keeps its headers.
    #[default]
    SameOrigin,
    /// `302` to `http://localhost:PORT/_sim/blob/{id}`: the same listener under
    /// another origin, as Google's download host differs from the API's.
    OtherOrigin,
    /// No redirect: the video itself, `200`.
    None,
}

/// Which Google API style an operation was submitted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VeoStyle {
    /// Vertex AI: Bearer token, `fetchPredictOperation`, Cloud Storage results.
    Vertex,
    /// The Gemini API: API key, `GET` on the operation, file downloads.
    Gemini,
}

/// Where a succeeded operation's video is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Inline, base64 in the poll answer.
    Inline,
    /// A Cloud Storage object (Vertex).
    Gcs { bucket: String, object: String },
    /// A Gemini file, by id.
    File { file_id: String },
}

/// How a finished operation ended; fixed once reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VeoResult {
    /// A video of this many bytes.
    Video { bytes: u64, delivery: Delivery },
    /// `done` with an `error`.
    Failed { message: String },
    /// `done`, the video withheld by responsible-AI filtering.
    Filtered { reason: String },
}

/// A simulated Veo long-running operation.
#[derive(Debug, Clone)]
pub(crate) struct VeoOperation {
    /// The full operation name the client polls with.
    pub name: String,
    /// The id after `/operations/`.
    pub id: String,
    pub style: VeoStyle,
    /// Vertex `parameters.storageUri`, when given.
    pub storage_uri: Option<String>,
    pub created: Instant,
    /// Set at the first poll after it finished; never changes after.
    pub result: Option<VeoResult>,
}

/// Everything Veo keeps, inside the simulator's one mutex.
#[derive(Debug, Default)]
pub(crate) struct VeoStore {
    /// Operations by name.
    pub operations: HashMap<String, VeoOperation>,
    /// Cloud Storage objects finished operations wrote: (bucket, object) → size.
    pub gcs_objects: HashMap<(String, String), u64>,
    /// Gemini files of finished operations: id → size.
    pub files: HashMap<String, u64>,
    /// Issued access tokens and when each expires.
    pub access_tokens: HashMap<String, Instant>,
}

impl VeoStore {
    /// Remembers an access token valid for `lifetime`.
    pub fn issue_token(&mut self, token: String, lifetime: Duration) {
        let now = Instant::now();
        self.access_tokens.retain(|_, expires| *expires > now);
        self.access_tokens.insert(token, now + lifetime);
    }

    /// Whether `token` was issued here and has not expired.
    pub fn token_is_valid(&self, token: &str) -> bool {
        self.access_tokens
            .get(token)
            .is_some_and(|expires| Instant::now() < *expires)
    }

    /// Advances an operation as a poll sees it, registering the video of one
    /// that just succeeded, and returns a copy.
    pub fn poll(&mut self, name: &str, knobs: &Knobs) -> Option<VeoOperation> {
        let operation = self.operations.get_mut(name)?;
        if operation.result.is_none() {
            let elapsed = operation.created.elapsed().as_millis();
            if elapsed >= u128::from(knobs.finish_after_ms) {
                operation.result = finish(operation, knobs);
            }
        }
        let operation = operation.clone();
        if let Some(VeoResult::Video { bytes, delivery }) = &operation.result {
            match delivery {
                Delivery::Gcs { bucket, object } => {
                    self.gcs_objects
                        .insert((bucket.clone(), object.clone()), *bytes);
                }
                Delivery::File { file_id } => {
                    self.files.insert(file_id.clone(), *bytes);
                }
                Delivery::Inline => {}
            }
        }
        Some(operation)
    }
}

/// The result a due operation ends with under `knobs` (`None`: never).
fn finish(operation: &VeoOperation, knobs: &Knobs) -> Option<VeoResult> {
    Some(match &knobs.outcome {
        Outcome::Succeed => VeoResult::Video {
            bytes: video_size(knobs.video_bytes),
            delivery: match (knobs.result, operation.style) {
                (ResultMode::Base64, _) => Delivery::Inline,
                (ResultMode::Url, VeoStyle::Vertex) => {
                    let (bucket, object) =
                        gcs_location(operation.storage_uri.as_deref(), &operation.id);
                    Delivery::Gcs { bucket, object }
                }
                (ResultMode::Url, VeoStyle::Gemini) => Delivery::File {
                    file_id: operation.id.replace('-', ""),
                },
            },
        },
        Outcome::Reject { message } => VeoResult::Failed {
            message: message.clone(),
        },
        Outcome::Filtered { reason } => VeoResult::Filtered {
            reason: reason.clone(),
        },
        Outcome::NeverFinish => return None,
    })
}

/// Bucket and object of an operation's first sample: under the `storageUri`
/// prefix when given (checked to be `gs://bucket[/prefix]` at submit), else
/// under `gs://sim-bucket/veo/`.
pub(crate) fn gcs_location(storage_uri: Option<&str>, operation_id: &str) -> (String, String) {
    let (bucket, prefix) = storage_uri
        .and_then(|uri| uri.strip_prefix("gs://"))
        .map(|rest| rest.split_once('/').unwrap_or((rest, "")))
        .unwrap_or(("sim-bucket", "veo"));
    let prefix = prefix.trim_matches('/');
    let object = if prefix.is_empty() {
        format!("{operation_id}/sample_0.mp4")
    } else {
        format!("{prefix}/{operation_id}/sample_0.mp4")
    };
    (bucket.to_owned(), object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_goes_under_the_storage_uri_prefix() {
        let at = |uri| gcs_location(uri, "op1");
        let pair = |b: &str, o: &str| (b.to_owned(), o.to_owned());
        assert_eq!(at(None), pair("sim-bucket", "veo/op1/sample_0.mp4"));
        assert_eq!(at(Some("gs://b/p/")), pair("b", "p/op1/sample_0.mp4"));
        assert_eq!(at(Some("gs://b/p/q")), pair("b", "p/q/op1/sample_0.mp4"));
        assert_eq!(at(Some("gs://b")), pair("b", "op1/sample_0.mp4"));
        assert_eq!(at(Some("gs://b/")), pair("b", "op1/sample_0.mp4"));
    }

    #[test]
    fn an_access_token_lives_as_long_as_it_was_given() {
        let mut store = VeoStore::default();
        store.issue_token("a".into(), Duration::from_secs(60));
        store.issue_token("b".into(), Duration::ZERO);
        assert!(store.token_is_valid("a"));
        assert!(!store.token_is_valid("b"), "expired at once");
        assert!(!store.token_is_valid("c"), "never issued");
    }
}
