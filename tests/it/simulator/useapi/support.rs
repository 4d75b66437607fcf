//! Helpers of the useapi.net tests.

pub(super) use genworker::simulator::{
    Endpoint, Fault, Knobs, Outcome, Simulator, SimulatorConfig, UseapiIdShape, UseapiStatusStyle,
    video_size,
};
pub(super) use serde_json::{Value, json};

pub(super) use crate::simulator::support::http;

pub(super) const KEY: &str = "useapi-key";

/// A simulator on a free port with these knobs.
pub(super) async fn start(knobs: Knobs) -> Simulator {
    let mut config = SimulatorConfig::new(KEY, "useapi-secret", "777:useapi-token");
    config.knobs = knobs;
    Simulator::start(config).await.unwrap()
}

/// `(status, JSON body)` of a POST with the key.
pub(super) async fn post(sim: &Simulator, path: &str, body: &Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// `(status, JSON body)` of a GET with the key.
pub(super) async fn get(sim: &Simulator, path: &str) -> (u16, Value) {
    let response = http()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A valid text2video body (the bot's captured one, aspect 9:16).
pub(super) fn text2video() -> Value {
    json!({"prompt": "A fox in snow", "duration": "5", "model_name": "kling-v2-6",
        "maxJobs": 5, "email": "acc@example.com", "mode": "std", "aspect_ratio": "9:16"})
}

/// A valid omni body with an `image_1`.
pub(super) fn omni() -> Value {
    json!({"prompt": "Dance", "duration": "10", "aspect_ratio": "1:1", "omni_version": "o1",
        "maxJobs": 5, "image_1": "http://127.0.0.1:1/a.png"})
}

/// The task id of a create answer, wherever the shape puts it.
pub(super) fn task_id(answer: &Value, shape: UseapiIdShape) -> u64 {
    match shape {
        UseapiIdShape::Task => {
            assert_eq!(answer["task"]["status"], 5, "{answer}");
            answer["task"]["id"].as_u64().unwrap()
        }
        UseapiIdShape::Top => answer["taskId"].as_str().unwrap().parse().unwrap(),
        UseapiIdShape::Data => answer["data"]["id"].as_u64().unwrap(),
    }
}

/// Knobs under which tasks stay pending.
pub(super) fn pending_knobs() -> Knobs {
    Knobs {
        outcome: Outcome::NeverFinish,
        ..Knobs::default()
    }
}
