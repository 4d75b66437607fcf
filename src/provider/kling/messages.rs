//! Kling's messages for the user: the seed's Russian wording (stored as the
//! request's `error_message`) and its English counterpart, in one place for
//! both API styles.

use std::fmt::Display;

use crate::i18n::UserText;

/// `Kling отклонил задачу <id>: <message>`: the task failed with a reason.
pub fn rejected(task_id: &str, message: &str) -> UserText {
    UserText::new(
        format!("Kling отклонил задачу {task_id}: {message}"),
        format!("Kling rejected task {task_id}: {message}"),
    )
}

/// The task failed without a reason.
pub fn failed_status(task_id: &str) -> UserText {
    UserText::new(
        format!("Kling завершил задачу {task_id} со статусом ошибки."),
        format!("Kling finished task {task_id} with an error status."),
    )
}

/// The create response holds no task id.
pub fn no_task_id() -> UserText {
    UserText::new(
        "Kling API не вернул идентификатор задания.",
        "Kling API did not return a task id.",
    )
}

/// The create response is not JSON.
pub fn invalid_response(error: impl Display) -> UserText {
    UserText::new(
        format!("Kling API вернул некорректный ответ: {error}"),
        format!("Kling API returned an invalid response: {error}"),
    )
}

/// A status response is not JSON.
pub fn invalid_json(error: impl Display) -> UserText {
    UserText::new(
        format!("Kling API вернул некорректный JSON: {error}"),
        format!("Kling API returned invalid JSON: {error}"),
    )
}

/// `KLING_POLL_TIMEOUT` ran out.
pub fn poll_timeout(seconds: impl Display) -> UserText {
    UserText::new(
        format!("Ожидание результата Kling превысило {seconds} секунд."),
        format!("Waiting for the Kling result took longer than {seconds} seconds."),
    )
}

/// A succeeded task names no video.
pub fn no_video() -> UserText {
    UserText::new(
        "Kling API не вернул ссылку или данные видео.",
        "Kling API returned neither a link nor video data.",
    )
}

/// Downloading or storing the video failed.
pub fn download_failed(error: impl Display) -> UserText {
    UserText::new(
        format!("Не удалось скачать видео Kling: {error}"),
        format!("Could not download the Kling video: {error}"),
    )
}

/// The video is over `KLING_MAX_VIDEO_MB`.
pub fn too_large(megabytes: u64) -> UserText {
    UserText::new(
        format!("Видео Kling больше допустимого размера ({megabytes} МБ)."),
        format!("The Kling video is larger than the allowed {megabytes} MB."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::has_cyrillic;

    #[test]
    fn each_message_has_the_seed_s_russian_and_an_english_wording() {
        let all = [
            rejected("t1", "NSFW"),
            failed_status("t1"),
            no_task_id(),
            invalid_response("eof"),
            invalid_json("eof"),
            poll_timeout(720),
            no_video(),
            download_failed("reset"),
            too_large(1024),
        ];
        for text in &all {
            assert!(!has_cyrillic(&text.en), "{text:?}");
            assert!(has_cyrillic(&text.ru), "{text:?}");
        }
        assert_eq!(all[0].ru, "Kling отклонил задачу t1: NSFW");
        assert_eq!(all[0].en, "Kling rejected task t1: NSFW");
        assert_eq!(all[5].ru, "Ожидание результата Kling превысило 720 секунд.");
    }
}
