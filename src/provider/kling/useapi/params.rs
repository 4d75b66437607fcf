//! Reading a request's params as the bot's useapi.net provider reads them:
//! `a or b or c` (falsy values fall through), Python's `str()` and `float()`,
//! and the params that name media by address.

use serde_json::{Map, Value};

/// The params naming image2video's start frame.
pub const START_FRAME: &[&str] = &["image_url", "imageUrl", "reference_image"];
/// The params naming image2video's end frame.
pub const END_FRAME: &[&str] = &["image_tail", "tail_image", "imageTail"];
/// Omni's reference images: each body key and the params naming it.
pub const REFERENCES: [(&str, [&str; 2]); 7] = [
    ("image_1", ["image_1", "image1"]),
    ("image_2", ["image_2", "image2"]),
    ("image_3", ["image_3", "image3"]),
    ("image_4", ["image_4", "image4"]),
    ("image_5", ["image_5", "image5"]),
    ("image_6", ["image_6", "image6"]),
    ("image_7", ["image_7", "image7"]),
];

/// The first of `keys` with a truthy value, as the bot's `a or b or c` takes
/// it (null, `""`, `0`, `false` and empty collections fall through).
pub fn param<'a>(params: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|key| params.get(*key).filter(|value| truthy(value)))
}

/// Python's truth value of a JSON value.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(object) => !object.is_empty(),
    }
}

/// A value as Python's `str()` shows a JSON string or number.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A number, or a string holding one (Python's `float()`).
pub fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The first of `keys` naming a media address.
pub fn media_param<'a>(params: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    param(params, keys).and_then(Value::as_str)
}
