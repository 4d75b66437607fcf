//! JSON text as the bot's Python writes it (`json.dumps(value, ensure_ascii=False)`):
//! `", "` and `": "` separators, non-ASCII kept, keys in their order. The bot
//! shows an operation's error and an error body this way.

use serde_json::Value;

/// `value` as Python's `json.dumps` with `ensure_ascii=False` writes it.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(object) => {
            out.push('{');
            for (index, (key, item)) in object.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_non_ascii_as_python_writes_them() {
        let value: Value = serde_json::from_str(
            r#"{"code": 3, "message": "Запрос отклонён", "details": [1, {"a": null, "b": true}]}"#,
        )
        .unwrap();
        assert_eq!(
            dumps(&value),
            r#"{"code": 3, "message": "Запрос отклонён", "details": [1, {"a": null, "b": true}]}"#
        );
        assert_eq!(dumps(&serde_json::json!("a\"b")), r#""a\"b""#);
    }
}
