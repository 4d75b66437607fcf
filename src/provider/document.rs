//! A parsed JSON response whose huge strings (base64 videos) are not copied:
//! the [`Value`] holds a short marker in their place, and their bytes stay in the
//! response body they were read from. The marked value is what `provider_metadata`
//! stores, so no video ever ends up in a JSON column.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use serde::Deserializer;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Strings at least this long are kept out of the value.
const LARGE: usize = 64 * 1024;

/// Where the text of a large string is.
#[derive(Debug)]
enum LargeText {
    /// A range of the body (the string had no escapes).
    InBody(Range<usize>),
    /// An unescaped copy (the string had escapes, so it is not in the body as is).
    Copied(Bytes),
}

/// A JSON response body and its value with large strings replaced by markers.
#[derive(Debug)]
pub struct Document {
    body: Bytes,
    /// The value; large strings read `<omitted: N characters>`.
    pub value: Value,
    large: Vec<(String, LargeText)>,
}

impl Document {
    /// Parses a body.
    pub fn parse(body: Bytes) -> Result<Self, serde_json::Error> {
        let mut large = Vec::new();
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        let value = ValueSeed {
            body: &body,
            path: String::new(),
            large: &mut large,
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(Self {
            body: body.clone(),
            value,
            large,
        })
    }

    /// The text of the string at a JSON pointer (`/data/video_base64`), large or
    /// not; a large one is a slice of the body, not a copy.
    pub fn text_at(&self, pointer: &str) -> Option<Bytes> {
        if let Some((_, text)) = self.large.iter().find(|(path, _)| path == pointer) {
            return Some(match text {
                LargeText::InBody(range) => self.body.slice(range.clone()),
                LargeText::Copied(text) => text.clone(),
            });
        }
        self.value
            .pointer(pointer)?
            .as_str()
            .map(|text| Bytes::copy_from_slice(text.as_bytes()))
    }
}

fn marker(len: usize) -> Value {
    Value::String(format!("<omitted: {len} characters>"))
}

fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

struct ValueSeed<'a, 'b> {
    body: &'b [u8],
    path: String,
    large: &'a mut Vec<(String, LargeText)>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Value, E> {
        if value.len() < LARGE {
            return Ok(Value::String(value.to_owned()));
        }
        // The string borrows from the body: remember where instead of copying it.
        let start = value.as_ptr() as usize - self.body.as_ptr() as usize;
        self.large
            .push((self.path, LargeText::InBody(start..start + value.len())));
        Ok(marker(value.len()))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Value, E> {
        self.visit_string(value.to_owned())
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        if value.len() < LARGE {
            return Ok(Value::String(value));
        }
        let len = value.len();
        self.large
            .push((self.path, LargeText::Copied(Bytes::from(value))));
        Ok(marker(len))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed {
            body: self.body,
            path: format!("{}/{}", self.path, items.len()),
            large: &mut *self.large,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed {
                body: self.body,
                path: format!("{}/{}", self.path, escape_pointer_token(&key)),
                large: &mut *self.large,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_documents_parse_as_usual() {
        let doc = Document::parse(Bytes::from_static(
            br#"{"a": [1, 2.5, null, true], "b": {"c/d": "x"}}"#,
        ))
        .unwrap();
        assert_eq!(
            doc.value,
            serde_json::json!({"a": [1, 2.5, null, true], "b": {"c/d": "x"}})
        );
        assert_eq!(doc.text_at("/b/c~1d").as_deref(), Some(&b"x"[..]));
    }

    #[test]
    fn large_strings_become_markers_and_stay_readable() {
        let blob = "A".repeat(LARGE + 10);
        let escaped = format!("{}\\n", "B".repeat(LARGE));
        let body = format!(
            r#"{{"status": "done", "data": {{"video_base64": "{blob}", "other": "{escaped}"}}}}"#
        );
        let doc = Document::parse(Bytes::from(body)).unwrap();
        assert_eq!(
            doc.value["data"]["video_base64"],
            format!("<omitted: {} characters>", LARGE + 10)
        );
        assert_eq!(
            &doc.text_at("/data/video_base64").unwrap()[..],
            blob.as_bytes()
        );
        assert_eq!(doc.text_at("/data/other").unwrap().len(), LARGE + 1);
        assert_eq!(doc.text_at("/status").as_deref(), Some(&b"done"[..]));
        assert!(doc.value.to_string().len() < 200);
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(Document::parse(Bytes::from_static(b"{\"task_id\": ")).is_err());
        assert!(Document::parse(Bytes::from_static(b"{} trailing")).is_err());
    }
}
