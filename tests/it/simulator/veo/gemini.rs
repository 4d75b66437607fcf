//! Veo on the Gemini API: the API key, the Vertex-only parameters it refuses,
//! polling, and the file download in its three redirect modes, the blob
//! recording what reached it.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use genworker::simulator::{
    Endpoint, GeminiRedirect, Knobs, Outcome, ResultMode, SIM_GEMINI_API_KEY, Simulator,
    video_content,
};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use super::support::*;
use crate::mp4::check_h264;

const RESPONSE_TYPE: &str =
    "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse";

/// Submits the Gemini body and polls until done; the done operation.
async fn finished(sim: &Simulator) -> Value {
    let (status, submitted) = gemini_submit(sim, &gemini_body()).await;
    assert_eq!(status, 200, "{submitted}");
    let name = submitted["name"].as_str().unwrap().to_owned();
    let (status, done) = gemini_poll(sim, &name).await;
    assert_eq!((status, &done["done"]), (200, &json!(true)), "{done}");
    assert_eq!(done["name"], name);
    done
}

#[tokio::test]
async fn the_api_key_is_required_and_vertex_only_parameters_are_refused() {
    let sim = start(Knobs::default()).await;
    let url = format!(
        "{}/v1beta/models/{MODEL}:predictLongRunning",
        sim.base_url()
    );
    let invalid_key = json!({"error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
    }});
    let (status, body) = send(http().post(&url).json(&gemini_body())).await;
    assert_eq!((status, &body), (400, &invalid_key));
    let (status, body) = send(
        http()
            .post(&url)
            .header("x-goog-api-key", "AIza-wrong")
            .json(&gemini_body()),
    )
    .await;
    assert_eq!((status, &body), (400, &invalid_key));

    for parameter in [
        "generateAudio",
        "seed",
        "storageUri",
        "fps",
        "compressionQuality",
        "resizeMode",
    ] {
        let mut body = gemini_body();
        body["parameters"][parameter] = json!(true);
        let (status, answer) = gemini_submit(&sim, &body).await;
        assert_eq!(status, 400, "{parameter}: {answer}");
        assert_eq!(
            google_error(&answer),
            (
                "INVALID_ARGUMENT",
                format!("`{parameter}` isn't supported by this model.").as_str()
            )
        );
    }
    let (status, body) = send(
        http()
            .post(url.replace(MODEL, "veo-3.1-pro"))
            .header("x-goog-api-key", SIM_GEMINI_API_KEY)
            .json(&gemini_body()),
    )
    .await;
    assert_eq!(
        (status, google_error(&body).0),
        (404, "NOT_FOUND"),
        "{body}"
    );
    assert_eq!(sim.operations_count(), 0);

    let (status, submitted) = gemini_submit(&sim, &gemini_body()).await;
    assert_eq!(status, 200, "{submitted}");
    let name = submitted["name"].as_str().unwrap();
    let id = name
        .strip_prefix(&format!("models/{MODEL}/operations/"))
        .unwrap_or_else(|| panic!("{name}"));
    assert!(!id.is_empty() && !id.contains('/'), "{id}");
    assert_eq!(sim.last_body(Endpoint::VeoSubmit), Some(gemini_body()));
    assert_eq!(sim.operations_count(), 1);
}

#[tokio::test]
async fn polls_pending_then_done_with_a_file_uri_or_the_video_inline() {
    let sim = start(Knobs {
        finish_after_ms: 300,
        ..Knobs::default()
    })
    .await;
    let (_, submitted) = gemini_submit(&sim, &gemini_body()).await;
    let name = submitted["name"].as_str().unwrap().to_owned();
    let (status, pending) = gemini_poll(&sim, &name).await;
    assert_eq!((status, &pending), (200, &json!({ "name": name })));
    let (status, body) = send(http().get(format!("{}/v1beta/{name}", sim.base_url()))).await;
    assert_eq!(
        (status, google_error(&body).0),
        (400, "INVALID_ARGUMENT"),
        "no key"
    );

    tokio::time::sleep(Duration::from_millis(350)).await;
    let (_, done) = gemini_poll(&sim, &name).await;
    assert_eq!(done["response"]["@type"], RESPONSE_TYPE);
    let samples = done["response"]["generateVideoResponse"]["generatedSamples"]
        .as_array()
        .unwrap();
    assert_eq!(samples.len(), 1);
    let uri = samples[0]["video"]["uri"].as_str().unwrap();
    let prefix = format!("{}/v1beta/files/", sim.base_url());
    let file = uri
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(":download?alt=media"))
        .unwrap_or_else(|| panic!("{uri}"));
    assert!(!file.is_empty() && !file.contains('/'), "{uri}");
    assert_eq!(sim.calls(Endpoint::VeoPoll), 3);
    assert_eq!(sim.last_body(Endpoint::VeoPoll), None, "a GET has no body");

    let size = 70_000;
    sim.set_knobs(Knobs {
        result: ResultMode::Base64,
        video_bytes: size,
        ..Knobs::default()
    });
    let done = finished(&sim).await;
    let video = &done["response"]["generateVideoResponse"]["generatedSamples"][0]["video"];
    assert_eq!(video["encoding"], "video/mp4");
    let bytes = STANDARD
        .decode(video["encodedVideo"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, video_content(size));
    check_h264(&bytes).unwrap();
}

/// The download URI of a finished operation's file.
async fn file_uri(sim: &Simulator) -> String {
    let done = finished(sim).await;
    let uri = &done["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"];
    uri.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_download_redirects_as_the_knob_says_and_the_blob_records_its_headers() {
    let size = 90_000;
    let sim = start(Knobs {
        video_bytes: size,
        ..Knobs::default()
    })
    .await;
    let port = sim.addr().port();
    let uri = file_uri(&sim).await;
    let file = uri
        .rsplit('/')
        .next()
        .and_then(|last| last.strip_suffix(":download?alt=media"))
        .unwrap()
        .to_owned();
    let download = || {
        http()
            .get(&uri)
            .header("x-goog-api-key", SIM_GEMINI_API_KEY)
    };
    let (status, body) = send(http().get(&uri)).await;
    assert_eq!(
        (status, google_error(&body).0),
        (400, "INVALID_ARGUMENT"),
        "no key"
    );

    for (mode, origin) in [
        (GeminiRedirect::SameOrigin, sim.base_url()),
        (
            GeminiRedirect::OtherOrigin,
            format!("http://localhost:{port}"),
        ),
    ] {
        sim.set_knobs(Knobs {
            video_bytes: size,
            gemini_redirect: mode,
            ..Knobs::default()
        });
        let response = download().send().await.unwrap();
        assert_eq!(response.status(), 302, "{mode:?}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("{origin}/_sim/blob/{file}"), "{mode:?}");
        // The blob needs no credentials; what reached it is recorded.
        let blob = http().get(&location).send().await.unwrap();
        assert_eq!(blob.status(), 200, "{mode:?}");
        assert_eq!(blob.headers()["content-type"], "video/mp4");
        let bytes = blob.bytes().await.unwrap();
        assert_eq!(bytes.to_vec(), video_content(size), "{mode:?}");
        check_h264(&bytes).unwrap();
        let headers = sim.last_headers(Endpoint::VeoBlob).unwrap();
        assert!(headers.get("x-goog-api-key").is_none(), "{mode:?}");
    }

    // A client that follows redirects with its key header on sends it on to
    // the blob, even across origins: the record shows it.
    let following = genworker::net::client_builder()
        .redirect(Policy::limited(3))
        .build()
        .unwrap();
    let response = following
        .get(&uri)
        .header("x-goog-api-key", SIM_GEMINI_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len() as u64, size);
    let headers = sim.last_headers(Endpoint::VeoBlob).unwrap();
    assert_eq!(headers["x-goog-api-key"], SIM_GEMINI_API_KEY);

    sim.set_knobs(Knobs {
        video_bytes: size,
        gemini_redirect: GeminiRedirect::None,
        ..Knobs::default()
    });
    let response = download().send().await.unwrap();
    assert_eq!(response.status(), 200, "served directly");
    assert_eq!(
        response.bytes().await.unwrap().to_vec(),
        video_content(size)
    );
    assert_eq!(sim.calls(Endpoint::VeoDownload), 5);
    assert_eq!(sim.calls(Endpoint::VeoBlob), 3);

    let missing = uri.replace(&file, "nosuchfile");
    let (status, body) = send(
        http()
            .get(missing)
            .header("x-goog-api-key", SIM_GEMINI_API_KEY),
    )
    .await;
    assert_eq!((status, google_error(&body).0), (404, "NOT_FOUND"));
    let (status, _) = send(http().get(format!("{}/_sim/blob/nosuchfile", sim.base_url()))).await;
    assert_eq!(status, 404);
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
    let done = finished(&sim).await;
    assert_eq!(
        done["error"],
        json!({"code": 3, "message": "Unsupported prompt"})
    );
    assert!(done.get("response").is_none(), "{done}");

    sim.set_knobs(Knobs {
        outcome: Outcome::Filtered {
            reason: "Support codes: 29310472".into(),
        },
        ..Knobs::default()
    });
    let done = finished(&sim).await;
    assert_eq!(
        done["response"],
        json!({
            "@type": RESPONSE_TYPE,
            "generateVideoResponse": {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": ["Support codes: 29310472"],
            },
        })
    );
}
