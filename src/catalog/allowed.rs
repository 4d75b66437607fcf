//! A model's `allowed_params`, as the bot reads them: for a key, a list of the
//! values allowed (`["720p", "1080p"]`), an `{"options": [...]}` list, or a
//! `{"min": …, "max": …}` range. Keys it does not name, and specs of another
//! shape, allow anything.

use serde_json::Value;

/// Whether `value` is allowed for `key` by the model's `allowed_params`, or why not.
pub fn check(slug: &str, allowed: &Value, key: &str, value: &Value) -> Result<(), String> {
    let Some(spec) = allowed.get(key) else {
        return Ok(());
    };
    let refused = |allows: String| {
        Err(format!(
            "{key} {value} is not allowed for {slug}: allowed_params.{key} allows {allows}"
        ))
    };
    let list = match spec {
        Value::Array(items) => Some(items),
        Value::Object(object) => object.get("options").and_then(Value::as_array),
        _ => None,
    };
    if let Some(items) = list {
        if items.iter().any(|item| same(item, value)) {
            return Ok(());
        }
        let shown: Vec<String> = items.iter().map(Value::to_string).collect();
        return refused(format!("one of {}", shown.join(", ")));
    }
    let (Some(min), Some(max)) = (
        spec.get("min").and_then(Value::as_f64),
        spec.get("max").and_then(Value::as_f64),
    ) else {
        return Ok(());
    };
    match value.as_f64() {
        Some(number) if (min..=max).contains(&number) => Ok(()),
        _ => refused(format!("a number from {} to {}", spec["min"], spec["max"])),
    }
}

/// JSON equality, with numbers equal by value (`5` and `5.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn allowed() -> Value {
        json!({"duration": {"min": 4, "max": 30}, "resolution": ["720p", "1080p"],
               "mode": {"options": ["std", "pro"]}, "enable_audio": [true, false], "odd": "x"})
    }

    #[test]
    fn ranges_lists_and_options_are_checked() {
        for (key, value) in [
            ("duration", json!(4)),
            ("duration", json!(30.0)),
            ("resolution", json!("720p")),
            ("mode", json!("pro")),
            ("enable_audio", json!(false)),
            ("kling_options", json!({"style": "anime"})),
            ("odd", json!(1)),
        ] {
            assert_eq!(check("m", &allowed(), key, &value), Ok(()), "{key} {value}");
        }
        assert_eq!(
            check("kling-v1", &allowed(), "duration", &json!(99)),
            Err("duration 99 is not allowed for kling-v1: allowed_params.duration allows a number from 4 to 30".into())
        );
        assert_eq!(
            check("m", &allowed(), "resolution", &json!("4k")),
            Err("resolution \"4k\" is not allowed for m: allowed_params.resolution allows one of \"720p\", \"1080p\"".into())
        );
        assert!(check("m", &allowed(), "mode", &json!("turbo")).is_err());
        assert!(check("m", &allowed(), "duration", &json!("ten")).is_err());
        assert!(check("m", &allowed(), "enable_audio", &json!("yes")).is_err());
    }
}
