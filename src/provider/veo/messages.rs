//! Veo's messages for the user: the bot's Russian wording (its Vertex
//! provider's, stored as the request's `error_message`) and English
//! counterparts, in one place for both API styles.

use std::fmt::Display;

use crate::i18n::UserText;

/// HTTP 429 on a submit or a poll.
pub fn quota_exhausted() -> UserText {
    UserText::new(
        "Квота Veo временно исчерпана. Попробуйте повторить запрос через минуту или увеличьте лимиты в Google Cloud.",
        "The Veo quota is exhausted for now. Try again in a minute or raise the limits in Google Cloud.",
    )
}

/// HTTP 403 on a submit or a poll.
pub fn access_denied() -> UserText {
    UserText::new(
        "Доступ к модели Veo запрещен. Проверьте IAM-права сервисного аккаунта и включенные регионы.",
        "Access to the Veo model is denied. Check the service account's IAM roles and the enabled regions.",
    )
}

/// Any other HTTP error, as the bot's HTTP client words it (English in both):
/// `Client error '400 Bad Request' for url '…'`, a documentation line, and the body.
pub fn http_error(status: reqwest::StatusCode, url: &str, details: &str) -> UserText {
    let class = if status.is_server_error() {
        "Server error"
    } else if status.is_client_error() {
        "Client error"
    } else {
        "Unexpected response"
    };
    let code = status.as_u16();
    let reason = status.canonical_reason().unwrap_or("");
    let text = format!(
        "{class} '{code} {reason}' for url '{url}'\n\
         For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/{code}\n\
         Details: {details}"
    );
    UserText::same(text)
}

/// Connecting, sending or reading failed.
pub fn transport(kind: impl Display, detail: impl Display) -> UserText {
    UserText::new(
        format!("Сбой соединения с Veo ({kind}): {detail}"),
        format!("The connection to Veo failed ({kind}): {detail}"),
    )
}

/// An answer that is not the JSON it should be.
pub fn invalid_json(error: impl Display) -> UserText {
    UserText::new(
        format!("Veo вернул некорректный JSON: {error}"),
        format!("Veo returned invalid JSON: {error}"),
    )
}

/// A parameter that must be a whole number is not one.
pub fn invalid_parameter(key: &str, value: impl Display) -> UserText {
    UserText::new(
        format!("Некорректное значение параметра '{key}': {value}"),
        format!("Invalid value of parameter '{key}': {value}"),
    )
}

/// The operation finished with an error: its JSON text, as the bot shows it.
pub fn operation_error(json_text: String) -> UserText {
    UserText::same(json_text)
}

/// `VEO_POLL_TIMEOUT` ran out.
pub fn poll_timeout() -> UserText {
    UserText::new(
        "Превышено время ожидания завершения генерации видео.",
        "Timed out waiting for the video generation to finish.",
    )
}

/// A `gs://` URI without a bucket or an object.
pub fn invalid_gcs_uri(uri: &str) -> UserText {
    UserText::new(
        format!("Некорректный gs:// URI: {uri}"),
        format!("Invalid gs:// URI: {uri}"),
    )
}

/// A result URI that is neither `gs://` nor http(s).
pub fn unknown_uri(uri: &str) -> UserText {
    UserText::new(
        format!("Неизвестный формат URI: {uri}"),
        format!("Unknown URI format: {uri}"),
    )
}

/// A finished operation without videos (content filtering included).
pub fn no_videos() -> UserText {
    UserText::new(
        "Veo не вернул видеоролики в ответе операции.",
        "Veo returned no videos in the operation's response.",
    )
}

/// The first video names neither bytes nor a URI.
pub fn no_video_link() -> UserText {
    UserText::new(
        "Не удалось извлечь ссылку на видео из ответа Veo.",
        "Could not extract the video link from Veo's response.",
    )
}

/// Every model name candidate was refused, and nothing said why.
pub fn no_model_name() -> UserText {
    UserText::new(
        "Не удалось определить корректное имя модели Veo.",
        "Could not determine a valid Veo model name.",
    )
}

/// The submit answer holds no operation name.
pub fn no_operation() -> UserText {
    UserText::new(
        "Veo не вернул идентификатор операции для дальнейшего ожидания.",
        "Veo returned no operation id to wait for.",
    )
}

/// Downloading or storing the video failed.
pub fn download_failed(error: impl Display) -> UserText {
    UserText::new(
        format!("Не удалось скачать видео Veo: {error}"),
        format!("Could not download the Veo video: {error}"),
    )
}

/// The video is over `VEO_MAX_VIDEO_MB`.
pub fn too_large(megabytes: u64) -> UserText {
    UserText::new(
        format!("Видео Veo больше допустимого размера ({megabytes} МБ)."),
        format!("The Veo video is larger than the allowed {megabytes} MB."),
    )
}

/// No access token could be obtained (the operator's credentials).
pub fn token_failed(error: impl Display) -> UserText {
    UserText::new(
        format!("Не удалось получить токен доступа Google: {error}"),
        format!("Could not obtain a Google access token: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::has_cyrillic as cyrillic;

    #[test]
    fn the_bots_russian_texts_and_english_counterparts() {
        let all = [
            quota_exhausted(),
            access_denied(),
            transport("timeout", "operation timed out"),
            invalid_json("eof"),
            invalid_parameter("duration", "8s"),
            poll_timeout(),
            invalid_gcs_uri("gs://"),
            unknown_uri("ftp://x"),
            no_videos(),
            no_video_link(),
            no_model_name(),
            no_operation(),
            download_failed("reset"),
            too_large(1024),
            token_failed("invalid_grant"),
        ];
        for text in &all {
            assert!(cyrillic(&text.ru), "{text:?}");
            assert!(!cyrillic(&text.en), "{text:?}");
        }
        assert_eq!(all[4].ru, "Некорректное значение параметра 'duration': 8s");
        assert_eq!(all[6].ru, "Некорректный gs:// URI: gs://");
        assert_eq!(all[7].ru, "Неизвестный формат URI: ftp://x");
    }

    #[test]
    fn other_http_errors_read_as_the_bots_http_client_words_them() {
        let text = http_error(
            reqwest::StatusCode::BAD_REQUEST,
            "https://x/v1/m:predictLongRunning",
            "{\"error\": {\"code\": 400}}",
        );
        assert_eq!(
            text.ru,
            "Client error '400 Bad Request' for url 'https://x/v1/m:predictLongRunning'\n\
             For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/400\n\
             Details: {\"error\": {\"code\": 400}}"
        );
        assert_eq!(text.en, text.ru);
        let text = http_error(reqwest::StatusCode::SERVICE_UNAVAILABLE, "u", "down");
        assert!(
            text.ru
                .starts_with("Server error '503 Service Unavailable' for url 'u'")
        );
    }
}
