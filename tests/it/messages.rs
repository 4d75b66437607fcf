//! The bot's golden messages (`tests/bot/messages.json`, a copy of
//! `../shared/bot/messages.json`): every caption, keyboard, parse mode and failure
//! text the bot's own functions produce, reproduced by genworker's builders for
//! both releases. One exception, by design: a caption over Telegram's 1,024
//! characters (which the bot sends anyway and Telegram refuses) has its prompt
//! shortened so that it fits and every other part survives.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use genworker::i18n::Language;
use genworker::message::{ChargeFacts, MessageStyle, ParseMode, VideoFacts, python_json};
use serde_json::Value;

fn golden() -> Value {
    let path = format!("{}/tests/bot/messages.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn releases() -> [(&'static str, MessageStyle); 2] {
    [
        ("b6702256", MessageStyle::Seed),
        ("latest", MessageStyle::Latest),
    ]
}

fn decimal(value: &Value) -> BigDecimal {
    BigDecimal::from_str(value["Decimal"].as_str().unwrap()).unwrap()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

#[test]
fn every_golden_caption_keyboard_and_parse_mode() {
    let golden = golden();
    let mut checked = 0;
    for (release, style) in releases() {
        let parse_mode = match golden[release]["telegram"]["success"]["parse_mode"].as_str() {
            Some("Markdown") => ParseMode::Markdown,
            Some("HTML") => ParseMode::Html,
            other => panic!("{other:?}"),
        };
        for case in golden[release]["pure_cases"].as_array().unwrap() {
            let id = case["id"].as_str().unwrap();
            let kwargs = &case["get_generation_complete_message_kwargs"];
            let amount = decimal(&kwargs["charged_amount"]);
            // The latest release prints |amount|; the charge itself is negative.
            let amount = if release == "latest" { -amount } else { amount };
            let charge = ChargeFacts {
                amount,
                balance_after: decimal(&kwargs["balance_after"]),
            };
            let facts = VideoFacts {
                request_id: case["request_id"].as_i64().unwrap(),
                prompt: text(&kwargs["prompt"]),
                generation_type: text(&kwargs["generation_type"]),
                display_name: text(&case["model"]["display_name"]),
                slug: text(&case["model"]["slug"]),
                provider: text(&case["model"]["provider"]),
                duration: kwargs["duration"].as_i64().map(|d| d as i32),
                resolution: text(&kwargs["resolution"]),
                aspect_ratio: text(&kwargs["aspect_ratio"]),
                charge: Some(&charge),
            };
            let sent = style.caption(Language::Russian, &facts);
            let expected = text(&case["message"]);
            if expected.chars().count() <= 1024 {
                assert_eq!(sent.text, expected, "{release} {id}");
            } else {
                // As long as fits: an escaped character (`&amp;`) is kept whole or not at all.
                let length = sent.text.chars().count();
                assert!((1019..=1024).contains(&length), "{release} {id}: {length}");
                let marker = match style {
                    MessageStyle::Seed => "Ваш запрос: ",
                    MessageStyle::Latest => "<code>",
                };
                let prompt_at = expected.find(marker).unwrap() + marker.len();
                assert!(
                    sent.text.starts_with(&expected[..prompt_at]),
                    "{release} {id}"
                );
                let after_prompt = match style {
                    MessageStyle::Seed => &expected[expected.find(" Инструмент:").unwrap()..],
                    MessageStyle::Latest => "</code>",
                };
                assert!(
                    sent.text.ends_with(after_prompt),
                    "{release} {id}: {}",
                    sent.text
                );
                assert!(sent.text.contains("…"), "{release} {id}");
            }
            assert_eq!(sent.parse_mode, Some(parse_mode), "{release} {id}");
            assert_eq!(sent.reply_markup, case["reply_markup"], "{release} {id}");
            assert_eq!(
                python_json(&sent.reply_markup),
                text(&case["reply_markup_wire"]),
                "{release} {id}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 30);
}

#[test]
fn every_golden_failure_text_and_keyboard() {
    let golden = golden();
    let prefix = "❌ Ошибка генерации видео: ";
    for (release, style) in releases() {
        let menu = &golden[release]["get_inline_menu_markup"];
        let mini_app = menu["keyboard"][1][1]["web_app"]["url"].as_str();
        for case in golden[release]["error_texts"].as_array().unwrap() {
            let expected = text(&case["text"]);
            let shown = expected.strip_prefix(prefix).unwrap();
            let length = case["exception_str_len"].as_u64().unwrap() as usize;
            // Only the first 3,500 characters show: whatever follows them will do.
            let mut reason = shown.trim_end_matches('…').to_owned();
            while reason.chars().count() < length {
                reason.push('q');
            }
            let sent = style.failure(Language::Russian, &reason, mini_app);
            assert_eq!(sent.text, expected, "{release} {}", case["id"]);
            assert_eq!(sent.parse_mode, None);
            assert_eq!(&sent.reply_markup, menu, "{release}");
            assert_eq!(
                python_json(&sent.reply_markup),
                text(&golden[release]["get_inline_menu_markup_wire"])
            );
        }
    }
}
