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
            // The bot shows 0.00 and 0.00 for a request without a charge.
            let charge = (id != "no_transaction_zero_amounts").then_some(&charge);
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
                charge,
            };
            let sent = style.caption(Language::Russian, &facts);
            let as_sent = text(&case["caption_as_sent"]);
            match (style, text(&case["message"]).chars().count() <= 1024) {
                (_, true) => assert_eq!(sent.text, as_sent, "{release} {id}"),
                // The bot's own cut, but an entity it would cut in half (`&am…`)
                // is left out whole, so Telegram can parse the caption.
                (MessageStyle::Latest, false) => {
                    assert_eq!(sent.text, without_split_entity(as_sent), "{release} {id}")
                }
                // b6702256 sends its caption uncut and Telegram refuses it: the
                // prompt is shortened so that it fits, every other part kept.
                (MessageStyle::Seed, false) => {
                    let expected = text(&case["message"]);
                    assert_eq!(sent.text.chars().count(), 1024, "{release} {id}");
                    let prompt_at = expected.find("Ваш запрос: ").unwrap() + "Ваш запрос: ".len();
                    assert!(sent.text.starts_with(&expected[..prompt_at]), "{id}");
                    let rest = &expected[expected.find(" Инструмент:").unwrap()..];
                    assert!(
                        sent.text.ends_with(&format!("…{rest}")),
                        "{id}: {}",
                        sent.text
                    );
                }
            }
            // English users: the same parts and the same buttons.
            let english = style.caption(Language::English, &facts);
            assert_eq!(english.reply_markup, sent.reply_markup, "{release} {id}");
            assert_eq!(english.parse_mode, sent.parse_mode, "{release} {id}");
            assert_eq!(
                english.text.matches('\n').count(),
                sent.text.matches('\n').count(),
                "{release} {id}: {}",
                english.text
            );
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

/// The bot's cut caption with the entity it cut in half (`…&am…`) left out whole.
fn without_split_entity(caption: &str) -> String {
    let (before, after) = caption.rsplit_once('…').unwrap();
    let before = match before.rfind('&') {
        Some(at) if !before[at..].contains(';') => &before[..at],
        _ => before,
    };
    format!("{before}…{after}")
}

/// The videos the bot's own worker sent in its end-to-end runs (`task_runs`), each
/// caption and keyboard rebuilt from the request, model and charge of that run.
#[test]
fn every_golden_task_run_caption_and_keyboard() {
    let golden = golden();
    let mut checked = 0;
    for (release, style) in releases() {
        for run in golden[release]["task_runs"].as_array().unwrap() {
            for attempt in run["attempts"].as_array().unwrap() {
                let state = &attempt["state_after"];
                let request = &state["genrequest"];
                let Some(sent) = attempt["telegram_requests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["api_method"] == style.upload().method)
                else {
                    continue;
                };
                let field = |name: &str| {
                    sent["multipart"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["name"] == name)
                        .map(|p| p["value"].as_str().unwrap_or_default().to_owned())
                };
                let charge = &state["transactions"][0];
                let charge = ChargeFacts {
                    amount: BigDecimal::from_str(text(&charge["amount"])).unwrap(),
                    balance_after: BigDecimal::from_str(text(&charge["balance_after"])).unwrap(),
                };
                let display = charge_display(&state["transactions"][0]);
                let facts = VideoFacts {
                    request_id: request["id"].as_i64().unwrap(),
                    prompt: text(&request["prompt"]),
                    generation_type: text(&request["generation_type"]),
                    display_name: display,
                    slug: text(&run["model_slug"]),
                    provider: text(&run["model_provider"]),
                    duration: request["duration"].as_i64().map(|d| d as i32),
                    resolution: text(&request["video_resolution"]),
                    aspect_ratio: text(&request["aspect_ratio"]),
                    charge: Some(&charge),
                };
                let built = style.caption(Language::Russian, &facts);
                assert_eq!(
                    Some(built.text),
                    field("caption"),
                    "{release} {}",
                    run["id"]
                );
                assert_eq!(
                    Some(python_json(&built.reply_markup)),
                    field("reply_markup"),
                    "{release} {}",
                    run["id"]
                );
                checked += 1;
            }
        }
    }
    // Per release: the two successful runs; the 400 run's two attempts (b6702256
    // retries the whole job) or one (2d893898 keeps the request done).
    assert_eq!(checked, 7);
}

/// The model's display name as the bot wrote it into the charge's description
/// (`Генерация <display_name> x1`).
fn charge_display(charge: &Value) -> &str {
    text(&charge["description"])
        .strip_prefix("Генерация ")
        .and_then(|rest| rest.strip_suffix(" x1"))
        .unwrap()
}
