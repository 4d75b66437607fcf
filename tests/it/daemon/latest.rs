//! Beside the bot's latest release: its catalog's conventions. There a Kling
//! model's `default_params.mode` is the quality mode (`std`/`pro`), while the bot's
//! requests carry `generation_params.mode` = the generation type, which wins in the
//! shallow merge; `kling_options.mode` sets a quality mode whatever the request says.

use std::time::Duration;

use serde_json::json;

use super::Harness;
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_latest_quality_modes_reach_the_official_body() {
    let h = Harness::new(
        TestDb::postgres_latest(),
        &[
            ("KLING_API_STYLE", "official"),
            ("KLING_API_SECRET", "kling-secret"),
        ],
    )
    .await;
    let daemon = h.start("w1", &[]);
    let body_of = |prompt: &'static str, params: serde_json::Value| {
        let h = &h;
        async move {
            let made = h
                .enqueue_for("kling-v2-6", prompt, "text2video", params, Some(1))
                .await;
            h.wait_final(&[made.id], Duration::from_secs(30)).await;
            assert_eq!(h.request(made.id).await.status, "done", "{prompt}");
            h.sim.last_create_body().unwrap()
        }
    };
    // default_params {"mode": "std"}; the request's "text2video" wins the merge.
    let body = body_of("as the bot sends it", json!({})).await;
    assert_eq!(body["model_name"], "kling-v2-6");
    assert!(body.get("mode").is_none(), "{body}");
    assert_eq!(body["duration"], "5");
    // A request that asks for a quality mode itself.
    let body = body_of("asks for pro", json!({"mode": "pro"})).await;
    assert_eq!(body["mode"], "pro");
    // An admin's quality mode for the model, set as README says.
    h.sql(
        "UPDATE botapp_aimodel SET default_params = default_params || \
         '{\"kling_options\": {\"mode\": \"pro\"}}' WHERE slug = 'kling-v2-6'",
    );
    let body = body_of("the admin's mode", json!({})).await;
    assert_eq!(body["mode"], "pro");
    daemon.shutdown().await;
}
