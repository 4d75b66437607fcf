//! useapi.net Kling files: asset uploads served back, and work downloads.

use super::support::*;

#[tokio::test]
async fn useapi_download_needs_mp4_and_a_known_work() {
    let sim = start(Knobs::default()).await;
    let (_, created) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    let n = task_id(&created, UseapiIdShape::Task);
    let work = 555_000 + n;
    // Not polled yet: not finished, so no work.
    let path = format!("/v1/kling/assets/download?workIds={work}&fileTypes=MP4");
    assert_eq!(get(&sim, &path).await.0, 404);
    assert_eq!(get(&sim, &format!("/v1/kling/tasks/{n}")).await.0, 200);
    assert_eq!(get(&sim, &path).await.0, 200);
    let (status, body) = get(
        &sim,
        &format!("/v1/kling/assets/download?workIds={work}&fileTypes=GIF"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&sim, "/v1/kling/assets/download?workIds=1&fileTypes=MP4").await;
    assert_eq!((status, body), (404, json!({"error": "ResourceNotFound"})));
    assert_eq!(sim.calls(Endpoint::UseapiDownload), 4);
}

#[tokio::test]
async fn useapi_asset_upload_is_stored_and_served_back() {
    let sim = start(Knobs::default()).await;
    let image = b"\x89PNG\r\n\x1a\nnot really".to_vec();
    for path in [
        "/v1/kling/assets/?email=acc%40example.com",
        "/v1/kling/assets",
    ] {
        let response = http()
            .post(format!("{}{path}", sim.base_url()))
            .bearer_auth(KEY)
            .header("content-type", "image/png")
            .body(image.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        let url = body["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/_sim/useapi-assets/asset-", sim.base_url())),
            "{url}"
        );
        assert!(url.ends_with(".png"), "{url}");
        let served = http().get(url).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().to_vec(), image);
    }
    let video = http()
        .post(format!("{}/v1/kling/assets/", sim.base_url()))
        .bearer_auth(KEY)
        .header("content-type", "video/mp4")
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    let body: Value = video.json().await.unwrap();
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with("/_sim/useapi-assets/asset-3.mp4"),
        "{body}"
    );
    for (content_type, bytes) in [("image/png", Vec::new()), ("text/plain", vec![1u8])] {
        let response = http()
            .post(format!("{}/v1/kling/assets/", sim.base_url()))
            .bearer_auth(KEY)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{content_type}");
    }
    assert_eq!(
        sim.useapi_assets(),
        vec![
            ("image/png".to_owned(), image.len()),
            ("image/png".to_owned(), image.len()),
            ("video/mp4".to_owned(), 1000),
        ]
    );
    assert_eq!(sim.calls(Endpoint::UseapiAsset), 5);
    assert_eq!(sim.useapi_emails(), vec!["acc@example.com".to_owned()]);
    let missing = http()
        .get(format!("{}/_sim/useapi-assets/asset-9.png", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
