//! What the simulator serves, over loopback: every video a playable H.264 MP4
//! (by URL and as base64, at any size), and the built-in photo.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use genworker::simulator::{
    CLIP, Knobs, ResultMode, SIM_PHOTO, SIM_PHOTO_FILE_ID, SIM_PHOTO_PATH, Simulator,
    SimulatorConfig, video_content, video_size,
};
use serde_json::{Value, json};

use super::support::http;
use crate::mp4::{H264Video, check_h264};

const KEY: &str = "videos-key";
const TOKEN: &str = "777:videos-token";

/// What the embedded clip is, padded or not.
const CLIP_VIDEO: H264Video = H264Video {
    width: 160,
    height: 120,
    samples: 10,
    duration_ms: 1000,
};

async fn start(knobs: Knobs) -> Simulator {
    let mut config = SimulatorConfig::new(KEY, "videos-secret", TOKEN);
    config.knobs = knobs;
    Simulator::start(config).await.unwrap()
}

/// Creates a generic-style task and polls it once (the knobs finish it at once).
async fn finished_task(sim: &Simulator) -> Value {
    let http = http();
    let created: Value = http
        .post(format!("{}/v1/video/generations", sim.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"prompt": "a fox", "model": "kling-v1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["task_id"].as_str().unwrap();
    let polled: Value = http
        .get(format!("{}/v1/video/generations/{id}", sim.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(polled["status"], "succeeded", "{polled}");
    polled
}

#[tokio::test]
async fn every_served_video_is_a_playable_h264_mp4() {
    let clip = CLIP.len() as u64;
    for knob in [0, clip + 3, Knobs::default().video_bytes, 512 * 1024] {
        let sim = start(Knobs {
            video_bytes: knob,
            ..Knobs::default()
        })
        .await;
        let polled = finished_task(&sim).await;
        let url = polled["result"]["video_url"].as_str().unwrap();
        let response = http().get(url).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], "video/mp4");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, video_size(knob), "knob {knob}");
        assert_eq!(bytes.to_vec(), video_content(knob));
        assert_eq!(check_h264(&bytes), Ok(CLIP_VIDEO), "knob {knob}");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_base64_result_is_the_same_playable_mp4() {
    let sim = start(Knobs {
        video_bytes: 100_001,
        result: ResultMode::Base64,
        ..Knobs::default()
    })
    .await;
    let polled = finished_task(&sim).await;
    let video = STANDARD
        .decode(polled["video_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(video.len(), 100_001);
    assert_eq!(check_h264(&video), Ok(CLIP_VIDEO));
    sim.shutdown().await;
}

/// The checker is no rubber stamp: what is not a playable H.264 MP4 fails it.
#[test]
fn the_checker_refuses_what_is_not_a_playable_mp4() {
    // The simulator's old placeholder: `ftyp`, then an `mdat` of filler.
    let mut placeholder = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    placeholder.extend_from_slice(&1008u32.to_be_bytes());
    placeholder.extend_from_slice(b"mdat");
    placeholder.extend((0..1000).map(|i| (i % 251) as u8));
    let error = check_h264(&placeholder).unwrap_err();
    assert!(error.contains("no top-level `moov`"), "{error}");

    let cut = &CLIP[..CLIP.len() - 100];
    let error = check_h264(cut).unwrap_err();
    assert!(error.contains("box `mdat`"), "{error}");

    let vide = CLIP.windows(4).position(|w| w == b"vide").unwrap();
    let mut sound = CLIP.to_vec();
    sound[vide..vide + 4].copy_from_slice(b"soun");
    let error = check_h264(&sound).unwrap_err();
    assert!(error.contains("no trak whose hdlr is `vide`"), "{error}");

    let avcc = CLIP.windows(4).position(|w| w == b"avcC").unwrap();
    let mut no_avcc = CLIP.to_vec();
    no_avcc[avcc..avcc + 4].copy_from_slice(b"xxxx");
    let error = check_h264(&no_avcc).unwrap_err();
    assert!(error.contains("no avcC"), "{error}");

    assert_eq!(check_h264(CLIP), Ok(CLIP_VIDEO));
}

#[tokio::test]
async fn the_built_in_photo_needs_no_setup() {
    let sim = start(Knobs::default()).await;
    let base = sim.base_url();
    let file: Value = http()
        .get(format!(
            "{base}/bot{TOKEN}/getFile?file_id={SIM_PHOTO_FILE_ID}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["ok"], true, "{file}");
    assert_eq!(file["result"]["file_path"], SIM_PHOTO_PATH);
    assert_eq!(file["result"]["file_size"], SIM_PHOTO.len());
    let response = http()
        .get(format!("{base}/file/bot{TOKEN}/{SIM_PHOTO_PATH}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.bytes().await.unwrap(), SIM_PHOTO);
    sim.shutdown().await;
}
