//! The simulated Telegram Bot API, over loopback: getFile and downloads,
//! sendVideo, sendMessage, wrong tokens and methods, and rate limits.

use genworker::simulator::{Endpoint, Fault, Knobs, Simulator};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::support::*;

fn bot_url(sim: &Simulator, method: &str) -> String {
    format!("{}/bot{TOKEN}/{method}", sim.base_url())
}

#[tokio::test]
async fn get_file_and_download() {
    let sim = start(Knobs::default()).await;
    sim.add_telegram_file("AgACfile", "photos/file_1.jpg", b"\xff\xd8jpeg".to_vec());
    sim.add_telegram_file("AgACpng", "photos/file_2.PNG", b"png".to_vec());

    let by_query = http()
        .get(bot_url(&sim, "getFile"))
        .query(&[("file_id", "AgACfile")]);
    let (status, answer) = send(by_query).await;
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], true);
    assert_eq!(str_at(&answer, "/result/file_path"), "photos/file_1.jpg");
    assert_eq!(answer["result"]["file_size"], 6);
    assert!(answer["result"]["file_unique_id"].is_string());

    let by_json = http()
        .post(bot_url(&sim, "getFile"))
        .json(&json!({"file_id": "AgACpng"}));
    assert_eq!(
        str_at(&send(by_json).await.1, "/result/file_path"),
        "photos/file_2.PNG"
    );
    let by_form = http()
        .post(bot_url(&sim, "getFile"))
        .form(&[("file_id", "AgACfile")]);
    assert_eq!(send(by_form).await.1["ok"], true);

    let unknown = http()
        .post(bot_url(&sim, "getFile"))
        .json(&json!({"file_id": "nope"}));
    let (status, answer) = send(unknown).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})
    );
    assert_eq!(sim.calls(Endpoint::TelegramGetFile), 4);

    let base = sim.base_url();
    let response = http()
        .get(format!("{base}/file/bot{TOKEN}/photos/file_1.jpg"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(&response.bytes().await.expect("body")[..], b"\xff\xd8jpeg");
    let response = http()
        .get(format!("{base}/file/bot{TOKEN}/photos/file_2.PNG"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers()["content-type"], "image/png");
    let missing = http().get(format!("{base}/file/bot{TOKEN}/photos/none.jpg"));
    assert_eq!(send(missing).await.0, 404);
    assert_eq!(sim.calls(Endpoint::TelegramFile), 3);
}

#[tokio::test]
async fn send_video_multipart_and_url_are_recorded() {
    let sim = start(Knobs::default()).await;
    let upload = vec![7u8; 1024 * 1024 + 3];
    let form = Form::new()
        .text("chat_id", "4242")
        .text("caption", "a cat #kling")
        .part(
            "video",
            Part::bytes(upload)
                .file_name("run.mp4")
                .mime_str("video/mp4")
                .expect("mime"),
        );
    let (status, answer) = send(http().post(bot_url(&sim, "sendVideo")).multipart(form)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["result"]["message_id"], 1);
    assert_eq!(answer["result"]["chat"]["id"], 4242);

    let by_url = json!({"chat_id": 4242, "video": "https://example.org/v.mp4", "caption": "link"});
    let (status, _) = send(http().post(bot_url(&sim, "sendVideo")).json(&by_url)).await;
    assert_eq!(status, 200);

    let messages = sim.telegram_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].method, "sendVideo");
    assert_eq!(messages[0].chat_id, "4242");
    assert_eq!(messages[0].caption.as_deref(), Some("a cat #kling"));
    assert_eq!(messages[0].video_bytes, Some(1024 * 1024 + 3));
    assert_eq!(messages[0].video_url, None);
    assert_eq!(messages[1].video_bytes, None);
    assert_eq!(
        messages[1].video_url.as_deref(),
        Some("https://example.org/v.mp4")
    );
    assert_eq!(sim.calls(Endpoint::TelegramSendVideo), 2);
}

#[tokio::test]
async fn send_video_limits_and_validation() {
    let sim = start(Knobs {
        telegram_upload_limit_bytes: 1000,
        ..Knobs::default()
    })
    .await;
    let big = Form::new()
        .text("chat_id", "1")
        .part("video", Part::bytes(vec![0u8; 1001]).file_name("v.mp4"));
    let (status, answer) = send(http().post(bot_url(&sim, "sendVideo")).multipart(big)).await;
    assert_eq!((status, answer["error_code"].clone()), (413, json!(413)));

    let long_caption = "я".repeat(1025);
    let captioned = json!({"chat_id": 1, "video": "file-id", "caption": long_caption});
    let (status, answer) = send(http().post(bot_url(&sim, "sendVideo")).json(&captioned)).await;
    assert_eq!(status, 400);
    assert_eq!(
        str_at(&answer, "/description"),
        "Bad Request: message caption is too long"
    );
    let no_chat = json!({"video": "file-id"});
    assert_eq!(
        send(http().post(bot_url(&sim, "sendVideo")).json(&no_chat))
            .await
            .0,
        400
    );
    let no_video = json!({"chat_id": 1});
    assert_eq!(
        send(http().post(bot_url(&sim, "sendVideo")).json(&no_video))
            .await
            .0,
        400
    );
    assert!(sim.telegram_messages().is_empty());
}

#[tokio::test]
async fn send_message_json_and_form_are_recorded() {
    let sim = start(Knobs::default()).await;
    let text = "❌ Ошибка генерации видео: timeout";
    let by_json = json!({"chat_id": -1001, "text": text});
    let (status, answer) = send(http().post(bot_url(&sim, "sendMessage")).json(&by_json)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["text"], text);
    let by_form = http()
        .post(bot_url(&sim, "sendMessage"))
        .form(&[("chat_id", "77"), ("text", "hello")]);
    assert_eq!(send(by_form).await.0, 200);
    let too_long = json!({"chat_id": 1, "text": "x".repeat(4097)});
    assert_eq!(
        send(http().post(bot_url(&sim, "sendMessage")).json(&too_long))
            .await
            .0,
        400
    );

    let messages = sim.telegram_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].method, "sendMessage");
    assert_eq!(messages[0].chat_id, "-1001");
    assert_eq!(messages[0].text.as_deref(), Some(text));
    assert_eq!(messages[1].chat_id, "77");
    assert_eq!(sim.calls(Endpoint::TelegramSendMessage), 3);
}

#[tokio::test]
async fn a_wrong_token_or_method_is_not_found() {
    let sim = start(Knobs::default()).await;
    sim.add_telegram_file("f", "photos/f.jpg", b"x".to_vec());
    let not_found = json!({"ok": false, "error_code": 404, "description": "Not Found"});
    let base = sim.base_url();
    let wrong = http()
        .post(format!("{base}/bot999:wrong/sendMessage"))
        .json(&json!({"chat_id": 1, "text": "hi"}));
    assert_eq!(send(wrong).await, (404, not_found.clone()));
    let wrong_file = http().get(format!("{base}/file/bot999:wrong/photos/f.jpg"));
    assert_eq!(send(wrong_file).await, (404, not_found.clone()));
    let unknown = http().post(bot_url(&sim, "sendSticker"));
    assert_eq!(send(unknown).await, (404, not_found));
    assert!(sim.telegram_messages().is_empty());
}

#[tokio::test]
async fn telegram_rate_limit_is_in_the_body() {
    let sim = start(Knobs::default()).await;
    sim.inject(
        Endpoint::TelegramSendMessage,
        vec![Fault::RateLimited {
            retry_after_secs: 3,
        }],
    );
    let message = json!({"chat_id": 1, "text": "hi"});
    let response = http()
        .post(bot_url(&sim, "sendMessage"))
        .json(&message)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 429);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["parameters"]["retry_after"], 3);
    assert_eq!(
        str_at(&body, "/description"),
        "Too Many Requests: retry after 3"
    );
    assert_eq!(
        send(http().post(bot_url(&sim, "sendMessage")).json(&message))
            .await
            .0,
        200
    );
    assert_eq!(sim.telegram_messages().len(), 1);
}
