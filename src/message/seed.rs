//! b6702256's caption (`keyboards.get_generation_complete_message`): the parts
//! `Ваш запрос: …`, `Инструмент: <type>`, `Продолжительность: N сек`, `Соотношение
//! сторон: …`, `Разрешение: …`, `Модель: #hashtag`, `Списано: ⚡<amount>`,
//! `Баланс: ⚡<balance>` (the missing ones left out), each ending in a full stop
//! unless it ends in `.`, `!` or `?`, joined by spaces; legacy Markdown; the
//! result keyboard (`🔁 Продлить FAST` for provider `veo`, `🏠 Главное меню`).

use super::{Outgoing, ParseMode, VideoFacts, keyboard};
use crate::i18n::Language;
use crate::telegram::MAX_CAPTION_CHARS;
use crate::telegram::cut;

/// The parts' words in one language.
struct Words {
    request: &'static str,
    tool: &'static str,
    duration: &'static str,
    seconds: &'static str,
    aspect_ratio: &'static str,
    resolution: &'static str,
    model: &'static str,
    charged: &'static str,
    balance: &'static str,
}

const RUSSIAN: Words = Words {
    request: "Ваш запрос",
    tool: "Инструмент",
    duration: "Продолжительность",
    seconds: "сек",
    aspect_ratio: "Соотношение сторон",
    resolution: "Разрешение",
    model: "Модель",
    charged: "Списано",
    balance: "Баланс",
};

const ENGLISH: Words = Words {
    request: "Your request",
    tool: "Tool",
    duration: "Duration",
    seconds: "s",
    aspect_ratio: "Aspect ratio",
    resolution: "Resolution",
    model: "Model",
    charged: "Charged",
    balance: "Balance",
};

/// `AIModel.hashtag`: `#` and the slug without `-` and `.` (`kling-v1`: `#klingv1`).
pub fn hashtag(slug: &str) -> String {
    format!("#{}", slug.replace(['-', '.'], ""))
}

/// A part as a sentence: a full stop unless it ends one already.
fn sentence(part: String) -> String {
    if part.ends_with(['.', '!', '?']) {
        part
    } else {
        format!("{part}.")
    }
}

/// The caption and keyboard of a finished video.
pub fn caption(language: Language, facts: &VideoFacts<'_>) -> Outgoing {
    let words = match language {
        Language::Russian => &RUSSIAN,
        Language::English => &ENGLISH,
    };
    let mut rest = vec![format!("{}: {}", words.tool, facts.generation_type)];
    if let Some(seconds) = facts.duration.filter(|seconds| *seconds != 0) {
        rest.push(format!("{}: {seconds} {}", words.duration, words.seconds));
    }
    if !facts.aspect_ratio.is_empty() {
        rest.push(format!("{}: {}", words.aspect_ratio, facts.aspect_ratio));
    }
    if !facts.resolution.is_empty() {
        rest.push(format!("{}: {}", words.resolution, facts.resolution));
    }
    rest.push(format!("{}: {}", words.model, hashtag(facts.slug)));
    let (amount, balance) = facts.money();
    rest.push(format!("{}: ⚡{amount}", words.charged));
    rest.push(format!("{}: ⚡{balance}", words.balance));
    let rest = rest.into_iter().map(sentence).collect::<Vec<_>>().join(" ");
    let prompt = facts.prompt.trim_end();
    let whole = format!(
        "{} {rest}",
        sentence(format!("{}: {prompt}", words.request))
    );
    let text = if whole.chars().count() <= MAX_CAPTION_CHARS {
        whole
    } else {
        // Every part but the prompt survives: the prompt gives up what is too much.
        let fixed = format!("{}: …", words.request).chars().count() + 1 + rest.chars().count();
        let keep = MAX_CAPTION_CHARS.saturating_sub(fixed);
        format!("{}: {}… {rest}", words.request, cut(prompt, keep))
    };
    Outgoing {
        text,
        parse_mode: Some(ParseMode::Markdown),
        reply_markup: keyboard::seed_video_result(facts.request_id, facts.provider == "veo"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_ending_in_an_ellipsis_still_gets_its_full_stop() {
        let facts = VideoFacts {
            request_id: 1,
            prompt: "and then…",
            generation_type: "text2video",
            display_name: "K",
            slug: "kling-v1",
            provider: "kling",
            duration: None,
            resolution: "",
            aspect_ratio: "",
            charge: None,
        };
        assert_eq!(
            caption(Language::Russian, &facts).text,
            "Ваш запрос: and then…. Инструмент: text2video. Модель: #klingv1. Списано: ⚡0.00. Баланс: ⚡0.00."
        );
    }
}
