//! A requested change to a model, validated before anything is written.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use serde_json::Value;

/// Largest price `numeric(6,2)` holds.
const MAX_PRICE: &str = "9999.99";
/// `display_name` is `varchar(100)`.
const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// Fields `models set` may change; `None`/empty leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ModelEdit {
    /// New price.
    pub price: Option<BigDecimal>,
    /// New menu position (column `order`).
    pub sort_order: Option<i32>,
    /// New display name.
    pub display_name: Option<String>,
    /// Keys to set in `default_params` (other keys stay).
    pub default_params: Vec<(String, Value)>,
}

impl ModelEdit {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.price.is_none()
            && self.sort_order.is_none()
            && self.display_name.is_none()
            && self.default_params.is_empty()
    }

    /// Checks what cannot be checked while parsing single arguments.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(name) = &self.display_name {
            if name.trim().is_empty() {
                return Err("display name must not be empty".into());
            }
            let chars = name.chars().count();
            if chars > MAX_DISPLAY_NAME_CHARS {
                return Err(format!(
                    "display name is {chars} characters long; at most {MAX_DISPLAY_NAME_CHARS} fit"
                ));
            }
        }
        Ok(())
    }
}

/// Parses a price: a plain decimal with at most 2 places that fits `numeric(6,2)`.
pub fn parse_price(text: &str) -> Result<BigDecimal, String> {
    let invalid = || {
        format!("price `{text}` is not a decimal with at most 2 places between 0 and {MAX_PRICE}")
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |part: &str| part.chars().all(|ch| ch.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || fraction.len() > 2 {
        return Err(invalid());
    }
    if text.ends_with('.') {
        return Err(invalid());
    }
    let price = BigDecimal::from_str(text).map_err(|_| invalid())?;
    let max = BigDecimal::from_str(MAX_PRICE).map_err(|_| invalid())?;
    if price > max {
        return Err(format!(
            "price `{text}` does not fit numeric(6,2): at most {MAX_PRICE}"
        ));
    }
    Ok(price.with_scale(2))
}

/// Parses `key=<json>` for `--default-param`.
pub fn parse_default_param(text: &str) -> Result<(String, Value), String> {
    let (key, json) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not key=<json>"))?;
    if key.is_empty() {
        return Err(format!("`{text}` has an empty key"));
    }
    let value = serde_json::from_str(json).map_err(|error| {
        format!("the value of `{key}` is not JSON ({error}); strings need quotes: {key}='\"text\"'")
    })?;
    Ok((key.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prices_with_up_to_two_places_that_fit_are_accepted() {
        for (given, stored) in [
            ("79.50", "79.50"),
            ("79.5", "79.50"),
            ("0", "0.00"),
            ("9999.99", "9999.99"),
        ] {
            assert_eq!(
                crate::catalog::money_text(&parse_price(given).unwrap()),
                stored
            );
        }
    }

    #[test]
    fn other_prices_are_refused() {
        for given in [
            "79.505", "abc", "", "-1", "1e3", "10000", "12.", ".5", "1,5", " 5",
        ] {
            assert!(parse_price(given).is_err(), "{given} was accepted");
        }
        assert!(parse_price("10000").unwrap_err().contains("numeric(6,2)"));
    }

    #[test]
    fn default_params_must_be_json() {
        assert_eq!(
            parse_default_param("duration=12").unwrap(),
            ("duration".into(), json!(12))
        );
        assert_eq!(
            parse_default_param("resolution=\"720p\"").unwrap(),
            ("resolution".into(), json!("720p"))
        );
        assert!(
            parse_default_param("resolution=720p")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(parse_default_param("novalue").is_err());
        assert!(parse_default_param("=1").is_err());
    }

    #[test]
    fn display_names_must_fit_the_column() {
        let edit = |name: &str| ModelEdit {
            display_name: Some(name.into()),
            ..ModelEdit::default()
        };
        assert!(edit("🎥 Kling").validate().is_ok());
        assert!(edit(&"x".repeat(101)).validate().is_err());
        assert!(edit("  ").validate().is_err());
    }
}
