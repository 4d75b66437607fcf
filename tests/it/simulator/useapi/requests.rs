//! useapi.net Kling requests: auth, account set-up, what each create endpoint
//! accepts, and faults on every endpoint.

use super::support::*;

#[tokio::test]
async fn useapi_refuses_calls_without_the_key() {
    let sim = start(Knobs::default()).await;
    let base = sim.base_url();
    let calls = [
        http()
            .post(format!("{base}/v1/kling/accounts"))
            .json(&json!({})),
        http()
            .post(format!("{base}/v1/kling/videos/text2video"))
            .json(&text2video()),
        http().get(format!("{base}/v1/kling/tasks/777001")),
        http().get(format!("{base}/v1/tasks/777001")),
        http()
            .post(format!("{base}/v1/kling/assets/"))
            .header("content-type", "image/png")
            .body(vec![1, 2, 3]),
        http().get(format!(
            "{base}/v1/kling/assets/download?workIds=1&fileTypes=MP4"
        )),
    ];
    for (i, call) in calls.into_iter().enumerate() {
        let auth = if i % 2 == 0 { "Bearer wrong" } else { "" };
        let response = call.header("authorization", auth).send().await.unwrap();
        assert_eq!(response.status(), 401, "call {i}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "Unauthorized"}));
    }
    assert_eq!(sim.calls(Endpoint::UseapiCreate), 1);
    assert_eq!(sim.task_count(), 0);
    assert!(sim.useapi_assets().is_empty());
}

#[tokio::test]
async fn useapi_account_setup_answers_and_needs_email_and_password() {
    let sim = start(Knobs::default()).await;
    let account = json!({"email": "acc@example.com", "password": "secret", "maxJobs": 5});
    let (status, body) = post(&sim, "/v1/kling/accounts", &account).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"email": "acc@example.com", "maxJobs": 5}));
    assert_eq!(sim.last_body(Endpoint::UseapiAccount), Some(account));
    for bad in [
        json!({"email": "a@b.c"}),
        json!({"password": "x", "maxJobs": 5}),
    ] {
        let (status, body) = post(&sim, "/v1/kling/accounts", &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body, json!({"error": "email and password are required"}));
    }
    assert_eq!(sim.calls(Endpoint::UseapiAccount), 3);
    assert_eq!(sim.useapi_emails(), vec!["acc@example.com".to_owned()]);
}

#[tokio::test]
async fn useapi_create_checks_its_body() {
    let sim = start(Knobs::default()).await;
    let mut bad = text2video();
    bad["duration"] = json!(5);
    let (status, body) = post(&sim, "/v1/kling/videos/text2video", &bad).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("duration"),
        "{body}"
    );
    assert_eq!(sim.last_body(Endpoint::UseapiCreate), Some(bad));
    bad = text2video();
    bad["maxJobs"] = json!(51);
    assert_eq!(post(&sim, "/v1/kling/videos/text2video", &bad).await.0, 400);
    bad = text2video();
    bad["model_name"] = json!("v2-6");
    assert_eq!(post(&sim, "/v1/kling/videos/text2video", &bad).await.0, 400);
    assert_eq!(sim.task_count(), 0);
}

#[tokio::test]
async fn useapi_image2video_frames_needs_an_image() {
    let sim = start(Knobs::default()).await;
    let mut body = text2video();
    let (status, answer) = post(&sim, "/v1/kling/videos/image2video-frames", &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer, json!({"error": "image is required"}));
    body["image"] = json!("data:image/png;base64,AAAA");
    assert_eq!(
        post(&sim, "/v1/kling/videos/image2video-frames", &body)
            .await
            .0,
        400
    );
    body["image"] = json!("https://example.com/a.png");
    let (status, answer) = post(&sim, "/v1/kling/videos/image2video-frames", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(sim.useapi_task_count(), 1);
}

#[tokio::test]
async fn useapi_omni_refuses_model_name_and_accepts_image_1() {
    let sim = start(Knobs::default()).await;
    let mut body = omni();
    body["model_name"] = json!("kling-o1");
    let (status, answer) = post(&sim, "/v1/kling/videos/omni", &body).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("model_name"),
        "{answer}"
    );
    body = omni();
    body["duration"] = json!("12");
    assert_eq!(post(&sim, "/v1/kling/videos/omni", &body).await.0, 400);

    let (status, created) = post(&sim, "/v1/kling/videos/omni", &omni()).await;
    assert_eq!(status, 200, "{created}");
    let n = task_id(&created, UseapiIdShape::Task);
    let (_, done) = get(&sim, &format!("/v1/kling/tasks/{n}")).await;
    assert_eq!(done["status"], 99);
    assert_eq!(
        done["task"]["taskInfo"]["arguments"],
        json!([{"name": "duration", "value": "10"}, {"name": "aspect_ratio", "value": "1:1"}])
    );
}

#[tokio::test]
async fn useapi_create_429_fault_is_served_once() {
    let sim = start(Knobs::default()).await;
    sim.inject(
        Endpoint::UseapiCreate,
        vec![Fault::RateLimited {
            retry_after_secs: 3,
        }],
    );
    let response = http()
        .post(format!("{}/v1/kling/videos/text2video", sim.base_url()))
        .bearer_auth(KEY)
        .json(&text2video())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"error": "Too many parallel jobs"}));
    assert_eq!(sim.task_count(), 0);
    let (status, _) = post(&sim, "/v1/kling/videos/text2video", &text2video()).await;
    assert_eq!(status, 200);
    assert_eq!(sim.calls(Endpoint::UseapiCreate), 2);
    assert_eq!(sim.useapi_task_count(), 1);
}

#[tokio::test]
async fn useapi_faults_work_on_every_new_endpoint() {
    let sim = start(Knobs::default()).await;
    let endpoints = [
        (Endpoint::UseapiAccount, "POST", "/v1/kling/accounts"),
        (Endpoint::UseapiTask, "GET", "/v1/kling/tasks/1"),
        (Endpoint::UseapiTaskFallback, "GET", "/v1/tasks/1"),
        (Endpoint::UseapiAsset, "POST", "/v1/kling/assets/"),
        (Endpoint::UseapiDownload, "GET", "/v1/kling/assets/download"),
    ];
    for (endpoint, method, path) in endpoints {
        sim.inject(endpoint, vec![Fault::ServerError]);
        let url = format!("{}{path}", sim.base_url());
        let request = match method {
            "POST" => http().post(url).body("x"),
            _ => http().get(url),
        };
        let response = request.bearer_auth(KEY).send().await.unwrap();
        assert_eq!(response.status(), 500, "{}", endpoint.name());
    }
}
