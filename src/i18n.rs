//! The user's language and texts written in both of the bot's languages.
//!
//! The bot speaks Russian, and English to users whose Telegram client says so
//! (`botapp_tguser.language_code` starting with `en`). Texts that reach a
//! Telegram user carry both wordings; the database (`error_message`, refund
//! descriptions) always keeps the Russian one, the seed's wording.

use std::fmt;

/// The language a user reads their Telegram messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// The bot's own language, and everyone's unless they asked for English.
    #[default]
    Russian,
    /// Users whose `language_code` starts with `en` (`en`, `en-US`, `EN`).
    English,
}

impl Language {
    /// The language for a `botapp_tguser.language_code` (none when the request has no user).
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(str::trim) {
            Some(code) if code.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) => {
                Self::English
            }
            _ => Self::Russian,
        }
    }
}

/// A message for the user, in Russian (the seed's wording, also what the
/// database stores) and in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserText {
    /// The Russian wording; stored in the database.
    pub ru: String,
    /// The English wording.
    pub en: String,
}

impl UserText {
    /// A text with its two wordings.
    pub fn new(ru: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            ru: ru.into(),
            en: en.into(),
        }
    }

    /// A text that reads the same in both languages (technical details, API errors).
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            en: text.clone(),
            ru: text,
        }
    }

    /// The wording for `language`.
    pub fn for_language(&self, language: Language) -> &str {
        match language {
            Language::Russian => &self.ru,
            Language::English => &self.en,
        }
    }
}

/// Untranslated text (technical details): the same in both languages.
impl From<String> for UserText {
    fn from(text: String) -> Self {
        Self::same(text)
    }
}

/// Untranslated text (technical details): the same in both languages.
impl From<&str> for UserText {
    fn from(text: &str) -> Self {
        Self::same(text)
    }
}

/// The Russian wording, as stored and logged.
impl fmt::Display for UserText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ru)
    }
}

/// Whether `text` has a Cyrillic letter (tests check that English wordings have none).
#[cfg(test)]
pub(crate) fn has_cyrillic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_codes_give_english_and_everything_else_russian() {
        for code in ["en", "en-US", "EN", "En-gb", "en_GB", " en "] {
            assert_eq!(Language::from_code(Some(code)), Language::English, "{code}");
        }
        for code in ["ru", "", "de", "e", "uk", "ru-RU", "fr-en"] {
            assert_eq!(Language::from_code(Some(code)), Language::Russian, "{code}");
        }
        assert_eq!(Language::from_code(None), Language::Russian);
    }

    #[test]
    fn a_text_gives_the_wording_of_each_language_and_displays_the_russian_one() {
        let text = UserText::new("Видео готово", "Video ready");
        assert_eq!(text.for_language(Language::Russian), "Видео готово");
        assert_eq!(text.for_language(Language::English), "Video ready");
        assert_eq!(text.to_string(), "Видео готово");
        let same = UserText::from("Kling API error: 500");
        assert_eq!(same.for_language(Language::English), "Kling API error: 500");
        assert_eq!(same.for_language(Language::Russian), "Kling API error: 500");
    }
}
