//! JSON as the bot's Python writes it (`json.dumps` with its defaults: every
//! non-ASCII character as `\uXXXX`, astral ones as surrogate pairs, `", "` and
//! `": "` between items), so a `reply_markup` goes out byte for byte as the
//! bot's; and with `ensure_ascii=False` (non-ASCII kept), as the bot's Veo
//! provider writes an operation's error.

use std::fmt::Write;

use serde_json::Value;

/// `json.dumps(value)`.
pub fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, true);
    out
}

/// Python's `str()` of the parsed value (`repr` of a dict): single-quoted
/// strings, `True`/`False`/`None`, as the bot shows an error body without a message.
pub fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(object) => format!(
            "{{{}}}",
            object
                .iter()
                .map(|(key, item)| format!(
                    "{}: {}",
                    python_repr(&Value::String(key.clone())),
                    python_repr(item)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `json.dumps(value, ensure_ascii=False)`.
pub fn python_json_unicode(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, false);
    out
}

fn write_value(out: &mut String, value: &Value, ascii: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(out, text, ascii),
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, ascii);
            }
            out.push(']');
        }
        Value::Object(object) => {
            out.push('{');
            for (n, (key, item)) in object.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_string(out, key, ascii);
                out.push_str(": ");
                write_value(out, item, ascii);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str, ascii: bool) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(ch),
            other if !ascii && other >= ' ' => out.push(other),
            other => {
                let mut units = [0u16; 2];
                for unit in other.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_python_writes() {
        let markup = json!({"inline_keyboard": [[{"text": "🏠 Главное меню", "callback_data": "main_menu"}]]});
        assert_eq!(
            python_json(&markup),
            "{\"inline_keyboard\": [[{\"text\": \"\\ud83c\\udfe0 \\u0413\\u043b\\u0430\\u0432\\u043d\\u043e\\u0435 \\u043c\\u0435\\u043d\\u044e\", \"callback_data\": \"main_menu\"}]]}"
        );
        assert_eq!(
            python_json(&json!({"a": [true, null, 1.5, "q\"\\\n\u{1}"], "b": {}})),
            "{\"a\": [true, null, 1.5, \"q\\\"\\\\\\n\\u0001\"], \"b\": {}}"
        );
    }
}
