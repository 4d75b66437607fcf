//! What the user reads on Telegram: the video caption the bot uses, and the
//! error message (`❌ Ошибка генерации видео: …`).

use crate::catalog::AiModel;
use crate::telegram::cut;

/// The error message is cut to this many characters.
const ERROR_CHARS: usize = 3500;

/// The caption of a finished video: prompt, tool, duration, aspect ratio,
/// resolution and the model's hashtag.
pub fn caption(
    prompt: &str,
    model: &AiModel,
    duration: Option<i32>,
    aspect_ratio: &str,
    resolution: &str,
) -> String {
    let mut lines = vec![
        "✅ Видео готово!".to_owned(),
        String::new(),
        format!("📝 Промпт: {prompt}"),
        format!("🎬 Инструмент: {}", model.display_name),
    ];
    if let Some(seconds) = duration {
        lines.push(format!("⏱ Длительность: {seconds} сек"));
    }
    if !aspect_ratio.is_empty() {
        lines.push(format!("📐 Формат: {aspect_ratio}"));
    }
    if !resolution.is_empty() {
        lines.push(format!("🖥 Качество: {resolution}"));
    }
    lines.push(String::new());
    lines.push(format!("#{}", model.slug.replace(['-', '.'], "_")));
    cut(&lines.join("\n"), crate::telegram::MAX_CAPTION_CHARS)
}

/// The message for a failed generation.
pub fn error(message: &str) -> String {
    cut(
        &format!("❌ Ошибка генерации видео: {message}"),
        ERROR_CHARS,
    )
}
