//! The Telegram client against the simulator and wiremock.

use genworker::message::{MessageStyle, Outgoing, ParseMode};
use genworker::simulator::{Endpoint, Fault, Simulator, SimulatorConfig};
use genworker::telegram::{TelegramClient, TelegramError};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::settings;

const TOKEN: &str = "123456:SECRET-bot-token";

fn client(base: &str) -> TelegramClient {
    let vars = [
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_BASE_URL", base),
    ];
    TelegramClient::from_settings(&settings(&vars).telegram)
        .unwrap()
        .unwrap()
}

async fn simulator() -> Simulator {
    Simulator::start(SimulatorConfig::new("k", "s", TOKEN))
        .await
        .unwrap()
}

#[tokio::test]
async fn images_are_fetched_with_their_type_from_header_extension_or_bytes() {
    let sim = simulator().await;
    sim.add_telegram_file(
        "photo-1",
        "photos/file_1.jpg",
        vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2],
    );
    sim.add_telegram_file(
        "doc-1",
        "documents/file_2",
        b"\x89PNG\r\n\x1a\nrest".to_vec(),
    );
    let telegram = client(&sim.base_url());
    let image = telegram.download_image("photo-1").await.unwrap();
    assert_eq!(
        (image.bytes.len(), image.mime_type.as_str()),
        (6, "image/jpeg")
    );
    let image = telegram.download_image("doc-1").await.unwrap();
    assert_eq!(image.mime_type, "image/png");
    assert_eq!(sim.calls(Endpoint::TelegramGetFile), 2);
}

#[tokio::test]
async fn a_missing_file_and_a_huge_file_are_clear_errors_without_the_token() {
    let sim = simulator().await;
    let error = client(&sim.base_url())
        .download_image("nope")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TelegramError::Api { code: 400, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let message = error.image_message();
    assert!(
        message
            .ru
            .starts_with("Не удалось получить изображение из Telegram: ")
    );
    assert!(
        message
            .en
            .starts_with("Could not get the image from Telegram: ")
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/getFile")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ok": true, "result": {"file_id": "big", "file_size": 21 * 1024 * 1024, "file_path": "photos/big.jpg"}}),
        ))
        .mount(&server)
        .await;
    let error = client(&server.uri())
        .download_image("big")
        .await
        .unwrap_err();
    assert!(matches!(error, TelegramError::FileTooLarge { .. }));
    assert!(error.image_message().ru.contains("20 МБ"));
    assert!(error.image_message().en.contains("20 MB"));

    // Nobody listens here: a transport error, which must not show the URL (it holds the token).
    let error = client("http://127.0.0.1:9")
        .download_image("x")
        .await
        .unwrap_err();
    assert!(error.is_retryable());
    for text in [
        error.to_string(),
        format!("{error:?}"),
        error.image_message().ru,
        error.image_message().en,
    ] {
        assert!(!text.contains("SECRET-bot-token"), "token leaked: {text}");
    }
    assert!(!format!("{:?}", client("http://127.0.0.1:9")).contains("SECRET"));
}

fn plain(text: &str) -> Outgoing {
    Outgoing {
        text: text.to_owned(),
        parse_mode: None,
        reply_markup: json!({"inline_keyboard": []}),
    }
}

#[tokio::test]
async fn videos_are_uploaded_as_multipart_with_the_caption_cut_to_1024() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v.mp4");
    std::fs::write(&file, vec![5u8; 200_000]).unwrap();
    let caption = plain(&"я".repeat(1500));
    client(&sim.base_url())
        .send_file(42, &file, MessageStyle::Seed.upload(), &caption)
        .await
        .unwrap();
    client(&sim.base_url())
        .send_text(42, &plain(&"x".repeat(5000)))
        .await
        .unwrap();
    let messages = sim.telegram_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].method, "sendVideo");
    assert_eq!(messages[0].chat_id, "42");
    assert_eq!(messages[0].video_bytes, Some(200_000));
    assert_eq!(
        messages[0].caption.as_deref().unwrap().chars().count(),
        1024
    );
    assert_eq!(messages[1].text.as_deref().unwrap().chars().count(), 4096);
}

/// The bot's wire form: its fields in its order, its file name and type, its
/// markup as `json.dumps` writes it; `parse_mode` left out when there is none.
#[tokio::test]
async fn uploads_and_texts_go_out_as_the_bot_sends_them() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stored-under-its-run-code.mp4");
    std::fs::write(&file, vec![1u8; 1000]).unwrap();
    let html = Outgoing {
        text: "<b>Модель:</b> x".into(),
        parse_mode: Some(ParseMode::Html),
        reply_markup: json!({"inline_keyboard": []}),
    };
    let telegram = client(&sim.base_url());
    telegram
        .send_file(7, &file, MessageStyle::Latest.upload(), &html)
        .await
        .unwrap();
    let markdown = Outgoing {
        parse_mode: Some(ParseMode::Markdown),
        reply_markup: json!({"inline_keyboard": [[{"text": "🏠 Главное меню", "callback_data": "main_menu"}]]}),
        ..html.clone()
    };
    telegram
        .send_file(7, &file, MessageStyle::Seed.upload(), &markdown)
        .await
        .unwrap();
    telegram.send_text(7, &plain("❌ x")).await.unwrap();
    let messages = sim.telegram_messages();
    let document = &messages[0];
    assert_eq!(document.method, "sendDocument");
    assert_eq!(
        document.fields,
        [
            "chat_id",
            "caption",
            "disable_content_type_detection",
            "parse_mode",
            "reply_markup",
            "document"
        ]
    );
    assert_eq!(
        document.disable_content_type_detection.as_deref(),
        Some("true")
    );
    assert_eq!(document.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        document.reply_markup.as_deref(),
        Some("{\"inline_keyboard\": []}")
    );
    let part = document.file.clone().unwrap();
    assert_eq!(
        (
            part.field.as_str(),
            part.file_name.as_deref(),
            part.content_type.as_deref()
        ),
        (
            "document",
            Some("video.mp4"),
            Some("application/octet-stream")
        )
    );
    let video = &messages[1];
    assert_eq!(video.method, "sendVideo");
    assert_eq!(
        video.fields,
        ["chat_id", "caption", "parse_mode", "reply_markup", "video"]
    );
    assert_eq!(video.parse_mode.as_deref(), Some("Markdown"));
    assert_eq!(
        video.reply_markup.as_deref(),
        Some(
            "{\"inline_keyboard\": [[{\"text\": \"\\ud83c\\udfe0 \\u0413\\u043b\\u0430\\u0432\\u043d\\u043e\\u0435 \\u043c\\u0435\\u043d\\u044e\", \"callback_data\": \"main_menu\"}]]}"
        )
    );
    let part = video.file.clone().unwrap();
    assert_eq!(
        (
            part.field.as_str(),
            part.file_name.as_deref(),
            part.content_type.as_deref()
        ),
        ("video", Some("video.mp4"), Some("video/mp4"))
    );
    assert_eq!(messages[2].parse_mode, None);
    assert_eq!(
        messages[2].reply_markup.as_deref(),
        Some("{\"inline_keyboard\": []}")
    );
}

/// Where the bot's own Markdown caption loses the video (Telegram: 400 `can't
/// parse entities` for an `_` in a prompt), genworker sends the same text again
/// without `parse_mode`.
#[tokio::test]
async fn formatting_telegram_cannot_parse_goes_again_as_plain_text() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v.mp4");
    std::fs::write(&file, vec![1u8; 1000]).unwrap();
    let caption = Outgoing {
        text: "Ваш запрос: my_cat *jumps*.".into(),
        parse_mode: Some(ParseMode::Markdown),
        reply_markup: json!({"inline_keyboard": []}),
    };
    let telegram = client(&sim.base_url());
    telegram
        .send_file(9, &file, MessageStyle::Seed.upload(), &caption)
        .await
        .unwrap();
    let html = Outgoing {
        text: "<code>a &am…</code>".into(),
        parse_mode: Some(ParseMode::Html),
        ..caption.clone()
    };
    telegram.send_text(9, &html).await.unwrap();
    assert_eq!(
        sim.calls(Endpoint::TelegramSendVideo),
        2,
        "rejected, then sent"
    );
    assert_eq!(sim.calls(Endpoint::TelegramSendMessage), 2);
    let messages = sim.telegram_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].caption.as_deref(), Some(caption.text.as_str()));
    assert_eq!(messages[0].parse_mode, None);
    assert_eq!(messages[0].video_bytes, Some(1000));
    assert_eq!(messages[1].text.as_deref(), Some(html.text.as_str()));
    assert_eq!(messages[1].parse_mode, None);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let sim = simulator().await;
    sim.inject(
        Endpoint::TelegramSendMessage,
        vec![Fault::RateLimited {
            retry_after_secs: 1,
        }],
    );
    let started = std::time::Instant::now();
    client(&sim.base_url())
        .send_text(7, &plain("hello"))
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(sim.calls(Endpoint::TelegramSendMessage), 2);
    assert_eq!(sim.telegram_messages().len(), 1);
}
