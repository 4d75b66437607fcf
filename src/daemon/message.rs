//! What the user reads on Telegram, in their language: the video caption the
//! bot uses, and the error message (`❌ Ошибка генерации видео: …`).

use crate::catalog::AiModel;
use crate::i18n::Language;
use crate::telegram::cut;

/// The error message is cut to this many characters.
const ERROR_CHARS: usize = 3500;

/// The caption's words in one language.
struct Labels {
    ready: &'static str,
    prompt: &'static str,
    tool: &'static str,
    duration: &'static str,
    seconds: &'static str,
    aspect_ratio: &'static str,
    resolution: &'static str,
}

const RUSSIAN: Labels = Labels {
    ready: "✅ Видео готово!",
    prompt: "📝 Промпт",
    tool: "🎬 Инструмент",
    duration: "⏱ Длительность",
    seconds: "сек",
    aspect_ratio: "📐 Формат",
    resolution: "🖥 Качество",
};

const ENGLISH: Labels = Labels {
    ready: "✅ Your video is ready!",
    prompt: "📝 Prompt",
    tool: "🎬 Tool",
    duration: "⏱ Duration",
    seconds: "s",
    aspect_ratio: "📐 Aspect ratio",
    resolution: "🖥 Quality",
};

/// The caption of a finished video: prompt, tool, duration, aspect ratio,
/// resolution and the model's hashtag.
pub fn caption(
    language: Language,
    prompt: &str,
    model: &AiModel,
    duration: Option<i32>,
    aspect_ratio: &str,
    resolution: &str,
) -> String {
    let words = match language {
        Language::Russian => &RUSSIAN,
        Language::English => &ENGLISH,
    };
    let mut lines = vec![
        words.ready.to_owned(),
        String::new(),
        format!("{}: {prompt}", words.prompt),
        format!("{}: {}", words.tool, model.display_name),
    ];
    if let Some(seconds) = duration {
        lines.push(format!("{}: {seconds} {}", words.duration, words.seconds));
    }
    if !aspect_ratio.is_empty() {
        lines.push(format!("{}: {aspect_ratio}", words.aspect_ratio));
    }
    if !resolution.is_empty() {
        lines.push(format!("{}: {resolution}", words.resolution));
    }
    lines.push(String::new());
    lines.push(format!("#{}", model.slug.replace(['-', '.'], "_")));
    cut(&lines.join("\n"), crate::telegram::MAX_CAPTION_CHARS)
}

/// The message for a failed generation; `message` is already in `language`.
pub fn error(language: Language, message: &str) -> String {
    let frame = match language {
        Language::Russian => "❌ Ошибка генерации видео",
        Language::English => "❌ Video generation failed",
    };
    cut(&format!("{frame}: {message}"), ERROR_CHARS)
}
