//! Turning a claimed request into what the provider needs, refusing bad input
//! with a message for the user: the model's defaults overridden key by key by the
//! request's params (the bot's shallow merge), the prompt checked, the image found.

use serde_json::{Map, Value};

use crate::catalog::AiModel;
use crate::db::live::Tables;
use crate::i18n::UserText;
use crate::provider::{GenerationKind, Reported};
use crate::queue::GenRequest;

/// A request ready for its provider.
#[derive(Debug, Clone)]
pub struct Plan {
    /// text2video or image2video.
    pub kind: GenerationKind,
    /// Merged params.
    pub params: Map<String, Value>,
    /// Where the input image is (image2video).
    pub image: Option<ImageRef>,
    /// Seconds of video, when the params say.
    pub duration: Option<i32>,
    /// `resolution` from the params, or "".
    pub resolution: String,
    /// `aspect_ratio` from the params, or "".
    pub aspect_ratio: String,
}

/// The duration, resolution and aspect ratio a finished video is stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Seconds of video.
    pub duration: Option<i32>,
    /// `video_resolution`, or "".
    pub resolution: String,
    /// `aspect_ratio`, or "".
    pub aspect_ratio: String,
}

impl Plan {
    /// The values a finished video is stored with: each one the provider
    /// reports (when its column holds it), else the plan's.
    pub fn finished(&self, reported: &Reported, widths: Widths) -> Finished {
        let text =
            |reported: &Option<String>, planned: &str, width: Option<u32>, column| match reported
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
            {
                Some(value) if width.is_none_or(|max| value.chars().count() <= max as usize) => {
                    value.to_owned()
                }
                Some(value) => {
                    tracing::warn!(
                        column,
                        value,
                        "the provider's value does not fit its column; keeping the request's"
                    );
                    planned.to_owned()
                }
                None => planned.to_owned(),
            };
        Finished {
            duration: reported
                .duration
                .filter(|seconds| *seconds > 0)
                .or(self.duration),
            resolution: text(
                &reported.resolution,
                &self.resolution,
                widths.resolution,
                "video_resolution",
            ),
            aspect_ratio: text(
                &reported.aspect_ratio,
                &self.aspect_ratio,
                widths.aspect_ratio,
                "aspect_ratio",
            ),
        }
    }
}

/// Where an image2video request's input image is, in the order the bot's
/// worker looks: the Telegram file, else the address the Kling WebApp stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `input_image_file_id` (or `source_media.telegram_file_id`).
    Telegram(String),
    /// `source_media.storage_url`, else `image_url|imageUrl|reference_image`.
    Address(String),
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
pub fn plan(request: &GenRequest, model: &AiModel, widths: Widths) -> Result<Plan, UserText> {
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
    let image = match kind {
        GenerationKind::ImageToVideo => Some(image(request, &params).ok_or_else(|| {
            UserText::new(
                "Для режима image2video нужно изображение.",
                "image2video needs an image.",
            )
        })?),
        GenerationKind::TextToVideo => None,
    };
    let resolution = fitting(&params, "resolution", widths.resolution)?;
    let aspect_ratio = fitting(&params, "aspect_ratio", widths.aspect_ratio)?;
    Ok(Plan {
        kind,
        resolution,
        aspect_ratio,
        params,
        image,
        duration,
    })
}

/// The request's input image: its Telegram file, else an address.
fn image(request: &GenRequest, params: &Map<String, Value>) -> Option<ImageRef> {
    let empty = Map::new();
    let media = request.source_media.0.as_object().unwrap_or(&empty);
    let address = || {
        text(media, "storage_url").or_else(|| {
            ["image_url", "imageUrl", "reference_image"]
                .iter()
                .find_map(|key| text(params, key))
        })
    };
    text(params, "input_image_file_id")
        .or_else(|| text(media, "telegram_file_id"))
        .map(ImageRef::Telegram)
        .or_else(|| address().map(ImageRef::Address))
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
