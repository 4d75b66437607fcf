//! The bot's own keyboards (`botapp/keyboards.py`, `tasks.py`), with the same
//! `callback_data` and texts, so its own handlers answer the buttons. Their labels
//! stay the bot's for every user: the bot's reply-keyboard handlers match the
//! button texts.

use serde_json::{Value, json};

/// The inline "🏠 Главное меню" button (`main_menu`).
fn main_menu_button() -> Value {
    json!({"text": "🏠 Главное меню", "callback_data": "main_menu"})
}

/// b6702256's `get_inline_menu_markup()`: the failure message's one button.
pub fn inline_menu() -> Value {
    json!({"inline_keyboard": [[main_menu_button()]]})
}

/// b6702256's `get_video_result_markup(request_id, include_extension)`: "🔁 Продлить
/// FAST" for a model that can extend its video (provider `veo`), then the menu.
pub fn seed_video_result(request_id: i64, extension: bool) -> Value {
    let mut rows = Vec::new();
    if extension {
        rows.push(json!([{"text": "🔁 Продлить FAST", "callback_data": format!("extend_video:{request_id}")}]));
    }
    rows.push(json!([main_menu_button()]));
    json!({ "inline_keyboard": rows })
}

/// 2d893898's `get_inline_menu_markup()`: the main reply keyboard. Its top-up button
/// opens the payment mini app (`PAYMENT_MINI_APP_URL`) when one is configured.
pub fn reply_menu(mini_app_url: Option<&str>) -> Value {
    let top_up = match mini_app_url {
        Some(url) => json!({"text": "💳 Пополнить баланс", "web_app": {"url": url}}),
        None => json!({"text": "💳 Пополнить баланс"}),
    };
    json!({
        "keyboard": [
            [{"text": "🎨 Создать изображение"}, {"text": "🎬 Создать видео"}],
            [{"text": "💰 Мой баланс (цены)"}, top_up],
            [{"text": "📲 Промт по референсу"}],
            [{"text": "🏠Главное меню"}],
            [{"text": "🧡 Поддержка"}],
        ],
        "resize_keyboard": true,
        "one_time_keyboard": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_mini_app_the_top_up_button_is_plain_text() {
        assert_eq!(
            reply_menu(None)["keyboard"][1][1],
            json!({"text": "💳 Пополнить баланс"})
        );
        assert_eq!(
            reply_menu(Some("https://bot.example/miniapp/"))["keyboard"][1][1]["web_app"]["url"],
            "https://bot.example/miniapp/"
        );
    }
}
