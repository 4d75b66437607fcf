//! A requested change to a model, validated before anything is written.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use serde_json::Value;

use crate::db::live::{Tables, decimal_digits};

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
    /// Keys to remove from `default_params`.
    pub remove_params: Vec<String>,
}

impl ModelEdit {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.price.is_none()
            && self.sort_order.is_none()
            && self.display_name.is_none()
            && self.default_params.is_empty()
            && self.remove_params.is_empty()
    }

    /// Checks each value against its live column (`botapp_aimodel.price`'s precision
    /// and scale, `display_name`'s length), as the Django admin's form would.
    pub fn validate(&self, tables: &Tables) -> Result<(), String> {
        if let Some(price) = &self.price {
            check_price(price, tables)?;
        }
        if let Some(name) = &self.display_name {
            if name.trim().is_empty() {
                return Err("display name must not be empty".into());
            }
            let chars = name.chars().count();
            if let Some(max) = tables.max_chars(TABLE, "display_name")
                && chars > max as usize
            {
                return Err(format!(
                    "display name is {chars} characters long; botapp_aimodel.display_name holds at most {max}"
                ));
            }
        }
        Ok(())
    }
}

const TABLE: &str = "botapp_aimodel";

/// A price fits the live `price` column: at most its scale of decimal places, at
/// most its precision minus scale of whole digits.
fn check_price(price: &BigDecimal, tables: &Tables) -> Result<(), String> {
    let Some((whole, places)) = tables.decimal_bounds(TABLE, "price") else {
        return Ok(());
    };
    let declared = tables
        .column(TABLE, "price")
        .map_or_else(|| "numeric".to_owned(), |column| column.declared.clone());
    let (has_whole, has_places) = decimal_digits(price);
    if has_places > places {
        return Err(format!(
            "price `{price}` has {has_places} decimal places; botapp_aimodel.price ({declared}) holds {places}"
        ));
    }
    if has_whole > whole {
        let nines = |n: u32| "9".repeat(n.max(1) as usize);
        let max = if places == 0 {
            nines(whole)
        } else {
            format!("{}.{}", nines(whole), "9".repeat(places as usize))
        };
        return Err(format!(
            "price `{price}` does not fit botapp_aimodel.price ({declared}): at most {max}"
        ));
    }
    Ok(())
}

/// Parses a price: a plain non-negative decimal (`79.50`, `79.5`, `80`); a
/// negative one is refused as such. Whether it fits the live column is
/// [`ModelEdit::validate`]'s to say.
pub fn parse_price(text: &str) -> Result<BigDecimal, String> {
    if let Some(magnitude) = text.strip_prefix('-')
        && parse_price(magnitude).is_ok()
    {
        return Err(format!(
            "price `{text}` is negative: a price is 0 or more, such as 79.50"
        ));
    }
    let invalid = || format!("price `{text}` is not a plain decimal such as 79.50");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |part: &str| part.chars().all(|ch| ch.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || text.ends_with('.') {
        return Err(invalid());
    }
    BigDecimal::from_str(text).map_err(|_| invalid())
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
    fn prices_are_plain_decimals() {
        for (given, scale) in [
            ("79.50", 2),
            ("79.5", 1),
            ("0", 0),
            ("9999.99", 2),
            ("79.505", 3),
        ] {
            assert_eq!(
                parse_price(given).unwrap().fractional_digit_count(),
                scale,
                "{given}"
            );
        }
        for given in ["abc", "", "1e3", "12.", ".5", "1,5", " 5", "--5", "-x"] {
            let error = parse_price(given).unwrap_err();
            assert!(error.contains("not a plain decimal"), "{given}: {error}");
        }
        for given in ["-1", "-5", "-0.01", "-79.50"] {
            let error = parse_price(given).unwrap_err();
            assert_eq!(
                error,
                format!("price `{given}` is negative: a price is 0 or more, such as 79.50")
            );
        }
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
}
