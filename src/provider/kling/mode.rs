//! `mode` in the merged params means two things: at the bot's latest release a
//! model's `default_params.mode` is Kling's quality mode (`std`/`pro`), while the
//! bot's requests carry `generation_params.mode` = the generation type, which wins
//! in the shallow merge. After the merge, `std` or `pro` is a quality mode; any
//! other value is the generation type, as the seed says (and `generation_type`
//! already says it, so it is not sent again).

use serde_json::{Map, Value};

/// Kling's quality modes.
const QUALITY_MODES: [&str; 2] = ["std", "pro"];

/// The quality mode the merged params ask for, if `mode` is one.
pub fn quality_mode(params: &Map<String, Value>) -> Option<&str> {
    params
        .get("mode")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|mode| QUALITY_MODES.contains(mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_std_and_pro_are_quality_modes() {
        let params = |value: Value| json!({ "mode": value }).as_object().cloned().unwrap();
        assert_eq!(quality_mode(&params(json!("pro"))), Some("pro"));
        assert_eq!(quality_mode(&params(json!("std"))), Some("std"));
        for other in [
            json!("text2video"),
            json!("image2video"),
            json!("PRO"),
            json!(1),
        ] {
            assert_eq!(quality_mode(&params(other.clone())), None, "{other}");
        }
        assert_eq!(quality_mode(&Map::new()), None);
    }
}
