//! Veo on Vertex AI: submit, a pending poll, then the video inline as base64 or
//! as a `gs://` URI that the Cloud Storage JSON API serves; unknown models,
//! projects and operations, bad bodies, and the failed and filtered endings.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use genworker::simulator::{
    Endpoint, Knobs, Outcome, ResultMode, SIM_VERTEX_PROJECT, video_content, video_size,
};
use serde_json::{Value, json};

use super::support::*;
use crate::mp4::check_h264;

const GENERATE_VIDEO_RESPONSE: &str =
    "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse";

/// The id after `/operations/` of a Vertex operation name, checked for shape.
fn operation_id(name: &str) -> &str {
    let prefix = format!(
        "projects/{SIM_VERTEX_PROJECT}/locations/{LOCATION}/publishers/google/models/{MODEL}/operations/"
    );
    let id = name
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{name} is not under {prefix}"));
    assert_eq!(id.len(), 36, "uuid-like: {id}");
    id
}

#[tokio::test]
async fn submit_poll_pending_then_the_video_inline() {
    let size = 100_001;
    let sim = start(Knobs {
        finish_after_ms: 300,
        result: ResultMode::Base64,
        video_bytes: size,
        ..Knobs::default()
    })
    .await;
    let token = token(&sim).await;
    let (status, submitted) = vertex_submit(&sim, &token, &vertex_body()).await;
    assert_eq!(status, 200, "{submitted}");
    let name = submitted["name"].as_str().unwrap().to_owned();
    operation_id(&name);
    assert_eq!(sim.last_body(Endpoint::VeoSubmit), Some(vertex_body()));

    let (status, pending) = vertex_poll(&sim, &token, &name).await;
    assert_eq!(status, 200);
    assert_eq!(pending, json!({ "name": name }), "not done yet");
    assert_eq!(
        sim.last_body(Endpoint::VeoPoll),
        Some(json!({"operationName": name}))
    );

    tokio::time::sleep(Duration::from_millis(350)).await;
    let (status, done) = vertex_poll(&sim, &token, &name).await;
    assert_eq!(status, 200);
    assert_eq!(done["name"], name);
    assert_eq!(done["done"], true);
    assert_eq!(done["response"]["@type"], GENERATE_VIDEO_RESPONSE);
    assert_eq!(done["response"]["raiMediaFilteredCount"], 0);
    let videos = done["response"]["videos"].as_array().unwrap();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["mimeType"], "video/mp4");
    let video = STANDARD
        .decode(videos[0]["bytesBase64Encoded"].as_str().unwrap())
        .unwrap();
    assert_eq!(video, video_content(size));
    check_h264(&video).unwrap();
    assert_eq!(sim.calls(Endpoint::VeoSubmit), 1);
    assert_eq!(sim.calls(Endpoint::VeoPoll), 2);
    assert_eq!(sim.operations_count(), 1);
}

/// Submits with these parameters and polls the finished operation once.
async fn finished(sim: &genworker::simulator::Simulator, token: &str, parameters: Value) -> Value {
    let mut body = vertex_body();
    body["parameters"] = parameters;
    let (status, submitted) = vertex_submit(sim, token, &body).await;
    assert_eq!(status, 200, "{submitted}");
    let name = submitted["name"].as_str().unwrap().to_owned();
    let (status, done) = vertex_poll(sim, token, &name).await;
    assert_eq!((status, &done["done"]), (200, &json!(true)), "{done}");
    done
}

#[tokio::test]
async fn a_gcs_result_downloads_as_a_playable_mp4() {
    let size = 200_000;
    let sim = start(Knobs {
        video_bytes: size,
        ..Knobs::default()
    })
    .await;
    let token = token(&sim).await;
    let done = finished(
        &sim,
        &token,
        json!({"storageUri": "gs://my-bucket/veo out/"}),
    )
    .await;
    let id = operation_id(done["name"].as_str().unwrap()).to_owned();
    let video = &done["response"]["videos"][0];
    assert_eq!(video["mimeType"], "video/mp4");
    assert_eq!(
        video["gcsUri"],
        format!("gs://my-bucket/veo out/{id}/sample_0.mp4")
    );
    assert!(video.get("bytesBase64Encoded").is_none(), "{video}");

    let object = format!("veo%20out%2F{id}%2Fsample_0.mp4");
    let url = |bucket: &str, object: &str| {
        format!(
            "{}/download/storage/v1/b/{bucket}/o/{object}?alt=media",
            sim.base_url()
        )
    };
    let response = http()
        .get(url("my-bucket", &object))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "video/mp4");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, video_size(size));
    assert_eq!(bytes.to_vec(), video_content(size));
    check_h264(&bytes).unwrap();

    // Without storageUri: under gs://sim-bucket/veo/.
    let done = finished(&sim, &token, json!({"sampleCount": 1})).await;
    let other = operation_id(done["name"].as_str().unwrap()).to_owned();
    let uri = &done["response"]["videos"][0]["gcsUri"];
    assert_eq!(
        uri,
        &json!(format!("gs://sim-bucket/veo/{other}/sample_0.mp4"))
    );
    let object = format!("veo%2F{other}%2Fsample_0.mp4");
    let (status, _) = send(http().get(url("sim-bucket", &object)).bearer_auth(&token)).await;
    assert_eq!(status, 200);

    // Objects no operation wrote, or the right one in the wrong bucket, are not there.
    for (bucket, object) in [
        ("sim-bucket", "veo%2Fnone%2Fsample_0.mp4".to_owned()),
        ("other-bucket", object),
    ] {
        let (status, body) = send(http().get(url(bucket, &object)).bearer_auth(&token)).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(google_error(&body).0, "NOT_FOUND");
    }
    assert_eq!(sim.calls(Endpoint::VeoDownload), 4);
}

#[tokio::test]
async fn unknown_models_projects_operations_and_bad_bodies_are_refused() {
    let sim = start(Knobs::default()).await;
    let token = token(&sim).await;
    let (status, body) = send(
        http()
            .post(vertex_url(&sim, "veo-3.1-pro", "predictLongRunning"))
            .bearer_auth(&token)
            .json(&vertex_body()),
    )
    .await;
    assert_eq!(status, 404);
    let resource = format!(
        "projects/{SIM_VERTEX_PROJECT}/locations/{LOCATION}/publishers/google/models/veo-3.1-pro"
    );
    assert_eq!(
        body,
        json!({"error": {
            "code": 404,
            "message": format!("Publisher Model `{resource}` not found."),
            "status": "NOT_FOUND",
        }})
    );

    let other_project =
        vertex_url(&sim, MODEL, "predictLongRunning").replace(SIM_VERTEX_PROJECT, "not-mine");
    let (status, body) = send(
        http()
            .post(other_project)
            .bearer_auth(&token)
            .json(&vertex_body()),
    )
    .await;
    assert_eq!((status, google_error(&body).0), (403, "PERMISSION_DENIED"));

    for (bad, expected) in [
        (json!({"instances": []}), "exactly one instance"),
        (
            json!({"instances": [{"prompt": "a", "image": {"bytesBase64Encoded": "!!", "mimeType": "image/png"}}]}),
            "base64",
        ),
        (
            json!({"instances": [{"prompt": "a", "image": {"bytesBase64Encoded": "AAAA"}}]}),
            "mimeType",
        ),
    ] {
        let (status, body) = vertex_submit(&sim, &token, &bad).await;
        assert_eq!(status, 400, "{body}");
        let (kind, message) = google_error(&body);
        assert_eq!(kind, "INVALID_ARGUMENT");
        assert!(message.contains(expected), "{expected}: {message}");
    }
    let image = json!({"instances": [{"prompt": "Animate this photo",
        "image": {"bytesBase64Encoded": "/9j/4AAQSkZJRg==", "mimeType": "image/jpeg"}}]});
    assert_eq!(
        vertex_submit(&sim, &token, &image).await.0,
        200,
        "image2video"
    );

    let unknown = format!("{resource}/operations/00000000-0000-0000-0000-000000000000")
        .replace("veo-3.1-pro", MODEL);
    let (status, body) = vertex_poll(&sim, &token, &unknown).await;
    assert_eq!(
        (status, google_error(&body).0),
        (404, "NOT_FOUND"),
        "{body}"
    );
    assert_eq!(sim.operations_count(), 1);
}

#[tokio::test]
async fn a_rejected_and_a_filtered_operation_end_as_google_sends_them() {
    let sim = start(Knobs {
        outcome: Outcome::Reject {
            message: "Unsupported prompt".into(),
        },
        ..Knobs::default()
    })
    .await;
    let token = token(&sim).await;
    let done = finished(&sim, &token, json!({})).await;
    assert_eq!(
        done,
        json!({"name": done["name"], "done": true, "error": {"code": 3, "message": "Unsupported prompt"}})
    );

    let reason = "The prompt could not be submitted. Support codes: 58061214";
    sim.set_knobs(Knobs {
        outcome: Outcome::Filtered {
            reason: reason.into(),
        },
        ..Knobs::default()
    });
    let done = finished(&sim, &token, json!({})).await;
    assert_eq!(
        done["response"],
        json!({
            "@type": GENERATE_VIDEO_RESPONSE,
            "raiMediaFilteredCount": 1,
            "raiMediaFilteredReasons": [reason],
        })
    );
    assert!(done.get("error").is_none(), "{done}");
}
