//! The useapi.net style's messages, as the bot's latest release words them
//! (Russian, stored as the request's `error_message`), with English ones.

use std::fmt::Display;

use crate::i18n::UserText;

/// HTTP 400 or more: `useapi Kling HTTP <status>: <detail>`.
pub fn http_error(status: u16, detail: &str) -> UserText {
    UserText::same(format!("useapi Kling HTTP {status}: {detail}"))
}

/// Connecting, sending or reading failed.
pub fn transport(error: impl Display) -> UserText {
    UserText::new(
        format!("Ошибка запроса к useapi Kling: {error}"),
        format!("The request to useapi Kling failed: {error}"),
    )
}

/// A 2xx answer that is not a JSON object.
pub fn not_an_object(data: impl Display) -> UserText {
    UserText::new(
        format!("useapi вернул не-JSON объект: {data}"),
        format!("useapi returned something other than a JSON object: {data}"),
    )
}

/// The create answer names no task.
pub fn no_task_id() -> UserText {
    UserText::new(
        "useapi не вернул идентификатор задачи.",
        "useapi returned no task id.",
    )
}

/// The task failed: `Kling: <message>`.
pub fn failed(message: &str) -> UserText {
    UserText::same(format!("Kling: {message}"))
}

/// The task failed without a message.
pub fn failed_without_message() -> UserText {
    UserText::new(
        "Kling: Задача завершилась с ошибкой.",
        "Kling: The task ended with an error.",
    )
}

/// `USEAPI_POLL_TIMEOUT` ran out.
pub fn poll_timeout(seconds: impl Display) -> UserText {
    UserText::new(
        format!("useapi: ожидание результата Kling превысило {seconds} секунд."),
        format!("useapi: waiting for the Kling result took longer than {seconds} seconds."),
    )
}

/// A finished task names no video (`omni`: Kling O1's).
pub fn no_video(omni: bool) -> UserText {
    if omni {
        UserText::new(
            "Не удалось получить ссылку на видео Kling O1.",
            "Could not get the Kling O1 video link.",
        )
    } else {
        UserText::new(
            "Не удалось получить ссылку на видео Kling.",
            "Could not get the Kling video link.",
        )
    }
}

/// An image2video request without an image.
pub fn no_image() -> UserText {
    UserText::new(
        "Для режима image2video необходимо загрузить изображение.",
        "image2video needs an image to be uploaded.",
    )
}

/// The asset upload answered without a URL.
pub fn no_asset_url(data: impl Display) -> UserText {
    UserText::new(
        format!("useapi не вернул ссылку на ассет Kling: {data}"),
        format!("useapi returned no Kling asset link: {data}"),
    )
}

/// The video asset upload answered without a URL.
pub fn no_video_asset_url(data: impl Display) -> UserText {
    UserText::new(
        format!("useapi не вернул ссылку на видео-ассет Kling: {data}"),
        format!("useapi returned no Kling video asset link: {data}"),
    )
}

/// An image a request names by address could not be fetched.
pub fn image_not_fetched(error: impl Display) -> UserText {
    UserText::new(
        format!("Не удалось скачать изображение Kling: {error}"),
        format!("Could not download the Kling image: {error}"),
    )
}

/// A video a request names by address could not be fetched.
pub fn video_not_fetched(error: impl Display) -> UserText {
    UserText::new(
        format!("Не удалось скачать видео Kling: {error}"),
        format!("Could not download the Kling video: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::has_cyrillic;

    #[test]
    fn the_bots_texts() {
        assert_eq!(
            http_error(429, "Too many parallel jobs").ru,
            "useapi Kling HTTP 429: Too many parallel jobs"
        );
        assert_eq!(
            failed("Content moderation failed").ru,
            "Kling: Content moderation failed"
        );
        assert_eq!(
            poll_timeout(720).ru,
            "useapi: ожидание результата Kling превысило 720 секунд."
        );
        assert_eq!(
            no_video(true).ru,
            "Не удалось получить ссылку на видео Kling O1."
        );
        assert_eq!(no_task_id().ru, "useapi не вернул идентификатор задачи.");
        assert_eq!(
            transport("timed out").ru,
            "Ошибка запроса к useapi Kling: timed out"
        );
        assert_eq!(
            image_not_fetched("HTTP 404").ru,
            "Не удалось скачать изображение Kling: HTTP 404"
        );
        for text in [
            no_image(),
            no_video_asset_url("{}"),
            image_not_fetched("x"),
            video_not_fetched("x"),
            no_asset_url("{}"),
            not_an_object("[]"),
            failed_without_message(),
        ] {
            assert!(!has_cyrillic(&text.en), "{text:?}");
        }
    }
}
