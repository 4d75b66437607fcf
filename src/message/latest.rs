//! 2d893898's caption (`generation_text`): an HTML block — `✅Готово!`, the model's
//! display name, the mode (`Текст → Видео`, `Изображение → Видео`, `Видео → Видео`),
//! format, resolution and duration (`—` when unknown), the amount charged and the
//! balance after, and the prompt stripped, cut to 3,500 characters and escaped in
//! `<code>`; an empty inline keyboard (no provider of that release extends videos).

use serde_json::json;

use super::{Outgoing, ParseMode, VideoFacts};
use crate::i18n::Language;
use crate::telegram::MAX_CAPTION_CHARS;
use crate::telegram::cut;

/// Prompts longer than this are cut (to one less and `…`) before anything else.
const PROMPT_CHARS: usize = 3500;
/// What stands for a missing value.
const NONE: &str = "—";

/// The block's words in one language.
struct Words {
    ready: &'static str,
    model: &'static str,
    mode: &'static str,
    format: &'static str,
    resolution: &'static str,
    duration: &'static str,
    seconds: &'static str,
    charged: &'static str,
    balance: &'static str,
    prompt: &'static str,
    text_to_video: &'static str,
    image_to_video: &'static str,
    video_to_video: &'static str,
}

const RUSSIAN: Words = Words {
    ready: "✅Готово!",
    model: "Модель",
    mode: "Режим",
    format: "Формат",
    resolution: "Разрешение",
    duration: "Продолжительность",
    seconds: "сек.",
    charged: "Списано",
    balance: "Баланс",
    prompt: "Промпт",
    text_to_video: "Текст → Видео",
    image_to_video: "Изображение → Видео",
    video_to_video: "Видео → Видео",
};

const ENGLISH: Words = Words {
    ready: "✅Done!",
    model: "Model",
    mode: "Mode",
    format: "Format",
    resolution: "Resolution",
    duration: "Duration",
    seconds: "s.",
    charged: "Charged",
    balance: "Balance",
    prompt: "Prompt",
    text_to_video: "Text → Video",
    image_to_video: "Image → Video",
    video_to_video: "Video → Video",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Russian => &RUSSIAN,
        Language::English => &ENGLISH,
    }
}

/// `&`, `<` and `>` as HTML entities (the bot escapes nothing else).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn or_none(value: &str) -> &str {
    if value.is_empty() { NONE } else { value }
}

/// The caption and keyboard of a finished video.
pub fn caption(language: Language, facts: &VideoFacts<'_>) -> Outgoing {
    let words = words(language);
    let mode = match facts.generation_type {
        "text2video" => words.text_to_video,
        "image2video" => words.image_to_video,
        "video2video" => words.video_to_video,
        other => other,
    };
    let duration = match facts.duration.filter(|seconds| *seconds != 0) {
        Some(seconds) => format!("{seconds} {}", words.seconds),
        None => NONE.to_owned(),
    };
    let (amount, balance) = facts.money();
    let amount = amount.trim_start_matches('-');
    let head = format!(
        "{}\n\n<b>{}:</b> {}\n<b>{}:</b> {mode}\n<b>{}:</b> {}\n<b>{}:</b> {}\n<b>{}:</b> {duration}\n\n\
         <b>{}:</b> ⚡{amount}\n<b>{}:</b> ⚡{balance}\n\n<b>{}:</b> <code>",
        words.ready,
        words.model,
        facts.display_name,
        words.mode,
        words.format,
        or_none(facts.aspect_ratio),
        words.resolution,
        or_none(facts.resolution),
        words.duration,
        words.charged,
        words.balance,
        words.prompt,
    );
    let tail = "</code>";
    let mut prompt = facts.prompt.trim().to_owned();
    if prompt.chars().count() > PROMPT_CHARS {
        prompt = format!("{}…", cut(&prompt, PROMPT_CHARS - 1));
    }
    let escaped = escape(&prompt);
    let whole = head.chars().count() + escaped.chars().count() + tail.chars().count();
    let shown = if whole <= MAX_CAPTION_CHARS {
        escaped
    } else {
        // The bot's cut (`_shorten_caption`): the first 1,023 characters, `…`, then
        // the tags left open. Only an entity the cut would split (`&am…`, which
        // Telegram cannot parse) is left out whole.
        let room = (MAX_CAPTION_CHARS - 1).saturating_sub(head.chars().count());
        let mut kept = String::new();
        let mut used = 0;
        for ch in prompt.chars() {
            let piece = escape(ch.encode_utf8(&mut [0; 4]));
            used += piece.chars().count();
            if used > room {
                break;
            }
            kept.push_str(&piece);
        }
        format!("{kept}…")
    };
    Outgoing {
        text: format!("{head}{shown}{tail}"),
        parse_mode: Some(ParseMode::Html),
        reply_markup: json!({"inline_keyboard": []}),
    }
}

/// The bot's message with the link when the file does not go out: Telegram
/// refused it (`refused`), or it was not sent at all (too large, no local copy).
pub fn link_text(language: Language, url: &str, refused: bool) -> String {
    match (language, refused) {
        (Language::Russian, true) => format!(
            "Видео готово, но Telegram вернул ошибку при отправке файла. Ссылка для скачивания: {url}"
        ),
        (Language::Russian, false) => format!(
            "Видео готово, но не удалось отправить его файлом. Ссылка для скачивания: {url}"
        ),
        (Language::English, true) => format!(
            "The video is ready, but Telegram returned an error when sending the file. Download link: {url}"
        ),
        (Language::English, false) => {
            format!("The video is ready, but it could not be sent as a file. Download link: {url}")
        }
    }
}
