//! Turning a claimed request into what the provider needs, refusing bad input
//! with a message for the user: the model's defaults overridden key by key by the
//! request's params (the bot's shallow merge), the prompt checked, the image found.

use serde_json::{Map, Value};

use crate::catalog::AiModel;
use crate::db::live::Tables;
use crate::i18n::UserText;
use crate::provider::GenerationKind;
use crate::queue::GenRequest;

/// A request ready for its provider.
#[derive(Debug, Clone)]
pub struct Plan {
    /// text2video or image2video.
    pub kind: GenerationKind,
    /// Merged params.
    pub params: Map<String, Value>,
    /// The Telegram file id of the input image (image2video).
    pub image_file_id: Option<String>,
    /// Seconds of video, when the params say.
    pub duration: Option<i32>,
    /// `resolution` from the params, or "".
    pub resolution: String,
    /// `aspect_ratio` from the params, or "".
    pub aspect_ratio: String,
}

/// How many characters the request columns a plan's texts end up in hold
/// (`None`: unbounded), read from the live schema once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Widths {
    /// `botapp_genrequest.video_resolution`.
    pub resolution: Option<u32>,
    /// `botapp_genrequest.aspect_ratio`.
    pub aspect_ratio: Option<u32>,
}

impl Widths {
    /// The widths of the live columns.
    pub fn of(tables: &Tables) -> Self {
        Self {
            resolution: tables.max_chars("botapp_genrequest", "video_resolution"),
            aspect_ratio: tables.max_chars("botapp_genrequest", "aspect_ratio"),
        }
    }
}

/// Checks the request and merges its params, or says (in Russian and English) what is
/// wrong, before any provider is paid: a value its request row cannot hold included.
pub fn plan(
    request: &GenRequest,
    model: Option<&AiModel>,
    widths: Widths,
) -> Result<Plan, UserText> {
    let model = model.ok_or_else(|| {
        UserText::new(
            "Модель генерации не найдена: у запроса не указана модель.",
            "Generation model not found: the request names no model.",
        )
    })?;
    let Value::Object(overrides) = &request.generation_params.0 else {
        return Err(UserText::new(
            "Некорректные параметры генерации: ожидался JSON-объект.",
            "Invalid generation parameters: a JSON object was expected.",
        ));
    };
    let kind = GenerationKind::parse(&request.generation_type).ok_or_else(|| {
        UserText::new(
            format!(
                "Тип генерации «{}» не поддерживается.",
                request.generation_type
            ),
            format!(
                "Generation type \"{}\" is not supported.",
                request.generation_type
            ),
        )
    })?;
    let prompt_chars = request.prompt.trim().chars().count();
    if prompt_chars == 0 {
        return Err(UserText::new(
            "Промпт пустой: опишите, какое видео нужно.",
            "The prompt is empty: describe the video you want.",
        ));
    }
    let max = usize::try_from(model.max_prompt_length).unwrap_or(0);
    if max > 0 && request.prompt.chars().count() > max {
        return Err(UserText::new(
            format!("Промпт длиннее {max} символов."),
            format!("The prompt is longer than {max} characters."),
        ));
    }
    let mut params = match &model.default_params.0 {
        Value::Object(defaults) => defaults.clone(),
        _ => Map::new(),
    };
    params.extend(
        overrides
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    let duration = match params.get("duration") {
        None | Some(Value::Null) => None,
        Some(value) => Some(seconds(value).ok_or_else(|| {
            UserText::new(
                "Длительность видео должна быть числом.",
                "The video duration must be a number.",
            )
        })?),
    };
    let image_file_id = match kind {
        GenerationKind::ImageToVideo => Some(
            text(&params, "input_image_file_id")
                .or_else(|| {
                    text(
                        request.source_media.0.as_object().unwrap_or(&Map::new()),
                        "telegram_file_id",
                    )
                })
                .ok_or_else(|| {
                    UserText::new(
                        "Для режима image2video нужно изображение.",
                        "image2video needs an image.",
                    )
                })?,
        ),
        GenerationKind::TextToVideo => None,
    };
    let resolution = fitting(&params, "resolution", widths.resolution)?;
    let aspect_ratio = fitting(&params, "aspect_ratio", widths.aspect_ratio)?;
    Ok(Plan {
        kind,
        resolution,
        aspect_ratio,
        params,
        image_file_id,
        duration,
    })
}

/// The text of `key` ("" when absent), refused when longer than `width`.
fn fitting(params: &Map<String, Value>, key: &str, width: Option<u32>) -> Result<String, UserText> {
    let value = text(params, key).unwrap_or_default();
    match width {
        Some(max) if value.chars().count() > max as usize => Err(UserText::new(
            format!("Параметр {key} длиннее {max} символов."),
            format!("The {key} parameter is longer than {max} characters."),
        )),
        _ => Ok(value),
    }
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// A number of seconds: a JSON number or a numeric string.
fn seconds(value: &Value) -> Option<i32> {
    let number = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (number.is_finite() && number >= 0.0 && number <= f64::from(i32::MAX))
        .then(|| number.round() as i32)
}
