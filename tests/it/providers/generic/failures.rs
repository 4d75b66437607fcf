//! Kling's generic style when a task gives no video: no id, a failure status,
//! polling past the timeout, a success without a video (the seed's messages).

use genworker::provider::ProviderError;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::status_path;
use crate::providers::{fatal, generate_text, generic_error, task_failed};

#[tokio::test]
async fn a_create_response_without_an_id_is_the_seed_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "queued", "data": {"x": 1}})),
        )
        .mount(&server)
        .await;
    let error = generic_error(&server.uri(), &[]).await;
    assert_eq!(fatal(error), "Kling API не вернул идентификатор задания.");
}

async fn finish_with(status_body: serde_json::Value) -> ProviderError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "J9"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(status_path("J9")))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    generate_text(&server.uri(), &[("KLING_POLL_TIMEOUT", "0.3")], &dir)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn failure_statuses_give_the_seed_messages() {
    let error = finish_with(json!({"status": "REJECTED", "error_message": "NSFW prompt"})).await;
    assert_eq!(task_failed(error), "Kling отклонил задачу J9: NSFW prompt");
    let error = finish_with(json!({"task": {"state": "cancelled", "detail": "by operator"}})).await;
    assert_eq!(task_failed(error), "Kling отклонил задачу J9: by operator");
    let error = finish_with(json!({"status": "failed"})).await;
    assert_eq!(
        task_failed(error),
        "Kling завершил задачу J9 со статусом ошибки."
    );
}

#[tokio::test]
async fn polling_past_the_timeout_gives_the_seed_message() {
    let error = finish_with(json!({"status": "processing"})).await;
    assert_eq!(
        fatal(error),
        "Ожидание результата Kling превысило 0.3 секунд."
    );
}

#[tokio::test]
async fn a_success_without_a_video_is_the_seed_error() {
    let error =
        finish_with(json!({"status": "success", "preview": "https://cdn.example.com/a.jpg"})).await;
    assert_eq!(fatal(error), "Kling API не вернул ссылку или данные видео.");
}
