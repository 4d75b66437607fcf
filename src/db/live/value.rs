//! A value for one column of a row genworker inserts, checked against the live
//! column before anything is sent: text no longer than the column holds, numbers
//! with no more whole digits than it has.

use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode};
use serde_json::Value;

use super::column::{LiveColumn, SqlKind};
use crate::db::types::UtcTime;

/// A value to insert.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// NULL.
    Null,
    /// Text.
    Text(String),
    /// A 64-bit integer.
    BigInt(i64),
    /// A 32-bit integer.
    Integer(i32),
    /// A 16-bit integer.
    SmallInt(i16),
    /// A boolean.
    Bool(bool),
    /// A decimal.
    Numeric(BigDecimal),
    /// A JSON document (Django's `JSONField`).
    Json(Value),
    /// A point in time (Django's `DateTimeField`).
    Time(UtcTime),
    /// A float.
    Double(f64),
    /// Text the database converts to the column's own type (`uuid`, `date`, …):
    /// `CAST($n AS <type>)` on PostgreSQL.
    Cast {
        /// The value as the type's text input.
        text: String,
        /// The PostgreSQL type to cast to.
        sql_type: String,
    },
}

impl std::fmt::Display for SqlValue {
    /// As SQL would show it: `NULL`, `'bot'`, `1.50`, `true`, `'{"a": 1}'`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => write!(f, "NULL"),
            Self::Text(text) | Self::Cast { text, .. } => write!(f, "'{text}'"),
            Self::BigInt(n) => write!(f, "{n}"),
            Self::Integer(n) => write!(f, "{n}"),
            Self::SmallInt(n) => write!(f, "{n}"),
            Self::Bool(flag) => write!(f, "{flag}"),
            Self::Numeric(n) => write!(f, "{n}"),
            Self::Json(doc) => write!(f, "'{doc}'"),
            Self::Time(time) => write!(f, "'{}'", time.0.to_rfc3339()),
            Self::Double(n) => write!(f, "{n}"),
        }
    }
}

impl From<&str> for SqlValue {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for SqlValue {
    fn from(number: i64) -> Self {
        Self::BigInt(number)
    }
}

impl From<i32> for SqlValue {
    fn from(number: i32) -> Self {
        Self::Integer(number)
    }
}

impl From<i16> for SqlValue {
    fn from(number: i16) -> Self {
        Self::SmallInt(number)
    }
}

impl From<bool> for SqlValue {
    fn from(flag: bool) -> Self {
        Self::Bool(flag)
    }
}

impl From<BigDecimal> for SqlValue {
    fn from(number: BigDecimal) -> Self {
        Self::Numeric(number)
    }
}

impl From<&BigDecimal> for SqlValue {
    fn from(number: &BigDecimal) -> Self {
        Self::Numeric(number.clone())
    }
}

impl From<Value> for SqlValue {
    fn from(document: Value) -> Self {
        Self::Json(document)
    }
}

impl From<UtcTime> for SqlValue {
    fn from(time: UtcTime) -> Self {
        Self::Time(time)
    }
}

impl From<f64> for SqlValue {
    fn from(number: f64) -> Self {
        Self::Double(number)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

impl SqlValue {
    /// This value as `column` stores it, or why it cannot go there: text no longer
    /// than the column holds; a number rounded to the column's scale (as the
    /// database would round it) with no more whole digits than it has room for.
    pub fn fitted(self, column: &LiveColumn) -> Result<Self, String> {
        match self {
            Self::Null if !column.nullable => Err(format!("NULL does not fit {column}")),
            Self::Text(text) => {
                let chars = text.chars().count();
                match column.max_chars {
                    Some(max) if chars > max as usize => Err(format!(
                        "{chars} characters do not fit {} (at most {max})",
                        column.declared
                    )),
                    _ => Ok(Self::Text(text)),
                }
            }
            Self::Numeric(number) => {
                let rounded = match column.numeric {
                    Some((_, scale)) => {
                        number.with_scale_round(i64::from(scale), RoundingMode::HalfUp)
                    }
                    None => number.clone(),
                };
                match column.whole_digits() {
                    Some(max) if whole_digits(&rounded) > max => {
                        Err(format!("{number} does not fit {}", column.declared))
                    }
                    _ => Ok(Self::Numeric(rounded)),
                }
            }
            other => Ok(other),
        }
    }

    /// The operator's JSON value for `column` (`GENWORKER_COLUMN_DEFAULTS`), as
    /// that column's type, or why it cannot be one.
    pub fn from_json(value: &Value, column: &LiveColumn) -> Result<Self, String> {
        let wrong = || format!("{value} is not a value for {}", column.declared);
        let parsed = match (column.kind, value) {
            (_, Value::Null) => return Err(format!("NULL does not fit {column}")),
            (SqlKind::Text, Value::String(text)) => Self::Text(text.clone()),
            // Django's JSON on SQLite is a text column.
            (SqlKind::Text, Value::Object(_) | Value::Array(_)) => Self::Text(value.to_string()),
            (SqlKind::SmallInt, Value::Number(n)) => n
                .as_i64()
                .and_then(|n| i16::try_from(n).ok())
                .map(Self::SmallInt)
                .ok_or_else(wrong)?,
            (SqlKind::Integer, Value::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Self::Integer)
                .ok_or_else(wrong)?,
            (SqlKind::BigInt, Value::Number(n)) => {
                n.as_i64().map(Self::BigInt).ok_or_else(wrong)?
            }
            (SqlKind::Numeric, Value::Number(_) | Value::String(_)) => {
                let text = match value {
                    Value::String(text) => text.trim().to_owned(),
                    other => other.to_string(),
                };
                let number = BigDecimal::from_str(&text).map_err(|_| wrong())?;
                let places = decimal_digits(&number).1;
                if let Some((_, scale)) = column.numeric
                    && places > scale
                {
                    return Err(format!(
                        "{text} has {places} decimal places; {} holds {scale}",
                        column.declared
                    ));
                }
                Self::Numeric(number)
            }
            (SqlKind::Bool, Value::Bool(flag)) => Self::Bool(*flag),
            (SqlKind::Jsonb, _) => Self::Json(value.clone()),
            (SqlKind::Timestamp, Value::String(text)) => {
                chrono::DateTime::parse_from_rfc3339(text.trim())
                    .map(|time| Self::Time(UtcTime(time.with_timezone(&chrono::Utc))))
                    .map_err(|_| {
                        format!("{value} is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)")
                    })?
            }
            (SqlKind::Double, Value::Number(n)) => {
                n.as_f64().map(Self::Double).ok_or_else(wrong)?
            }
            (SqlKind::Other | SqlKind::Json | SqlKind::NaiveTimestamp, Value::String(text)) => {
                Self::Cast {
                    text: text.clone(),
                    sql_type: column.declared.clone(),
                }
            }
            (SqlKind::Other | SqlKind::Json, _) => Self::Cast {
                text: value.to_string(),
                sql_type: column.declared.clone(),
            },
            _ => return Err(wrong()),
        };
        parsed.fitted(column)
    }
}

/// Digits before and after the decimal point, as written (`1234.50`: 4 and 2).
pub fn decimal_digits(number: &BigDecimal) -> (u32, u32) {
    let places = u32::try_from(number.fractional_digit_count().max(0)).unwrap_or(u32::MAX);
    (whole_digits(number), places)
}

/// Digits before the decimal point (`1234.5`: 4; `0.25`: 0).
fn whole_digits(number: &BigDecimal) -> u32 {
    let (digits, scale) = number.abs().normalized().as_bigint_and_exponent();
    let all = if digits == 0.into() {
        0
    } else {
        digits.to_string().len() as i64
    };
    u32::try_from((all - scale).max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::live::column::postgres_type;
    use serde_json::json;

    fn column(udt: &str, chars: Option<i32>, p: Option<i32>, s: Option<i32>) -> LiveColumn {
        let (kind, declared, max_chars, numeric) = postgres_type(udt, chars, p, s);
        LiveColumn {
            name: "c".into(),
            kind,
            declared,
            max_chars,
            numeric,
            nullable: false,
            has_default: false,
        }
    }

    #[test]
    fn whole_digits_count_only_before_the_point() {
        for (text, whole) in [
            ("1234.50", 4),
            ("0.25", 0),
            ("0", 0),
            ("-99.9", 2),
            ("1e3", 4),
        ] {
            assert_eq!(
                whole_digits(&BigDecimal::from_str(text).unwrap()),
                whole,
                "{text}"
            );
        }
    }

    fn number(text: &str) -> SqlValue {
        SqlValue::Numeric(BigDecimal::from_str(text).unwrap())
    }

    #[test]
    fn values_that_do_not_fit_are_named() {
        let price = column("numeric", None, Some(6), Some(2));
        assert_eq!(number("9999.99").fitted(&price), Ok(number("9999.99")));
        assert_eq!(
            number("10000").fitted(&price),
            Err("10000 does not fit numeric(6,2)".into())
        );
        // Rounded to the scale first, as the database rounds: 9999.999 is 10000.00.
        assert_eq!(
            number("9999.999").fitted(&price),
            Err("9999.999 does not fit numeric(6,2)".into())
        );
        assert_eq!(number("1.234").fitted(&price), Ok(number("1.23")));
        let ratio = column("varchar", Some(10), None, None);
        assert_eq!(
            SqlValue::from("16:9").fitted(&ratio),
            Ok(SqlValue::from("16:9"))
        );
        assert_eq!(
            SqlValue::from("ß".repeat(11)).fitted(&ratio),
            Err("11 characters do not fit varchar(10) (at most 10)".into())
        );
        assert!(SqlValue::Null.fitted(&ratio).is_err());
    }

    #[test]
    fn operator_values_take_the_columns_type() {
        let money = column("numeric", None, Some(10), Some(4));
        assert_eq!(
            SqlValue::from_json(&json!(0.25), &money),
            Ok(SqlValue::Numeric(BigDecimal::from_str("0.25").unwrap()))
        );
        assert_eq!(
            SqlValue::from_json(&json!("1.5"), &money),
            Ok(SqlValue::Numeric(BigDecimal::from_str("1.5").unwrap()))
        );
        assert!(SqlValue::from_json(&json!("abc"), &money).is_err());
        assert_eq!(
            SqlValue::from_json(&json!("0.12345"), &money),
            Err("0.12345 has 5 decimal places; numeric(10,4) holds 4".into())
        );
        let fee = column("numeric", None, Some(4), Some(2));
        assert!(SqlValue::from_json(&json!(99.99), &fee).is_ok());
        assert!(SqlValue::from_json(&json!(100), &fee).is_err());
        assert!(SqlValue::from_json(&json!(null), &money).is_err());
        let flag = column("bool", None, None, None);
        assert_eq!(
            SqlValue::from_json(&json!(true), &flag),
            Ok(SqlValue::Bool(true))
        );
        assert!(SqlValue::from_json(&json!(1), &flag).is_err());
        let small = column("int2", None, None, None);
        assert!(SqlValue::from_json(&json!(70000), &small).is_err());
        let unit = column("varchar", Some(16), None, None);
        assert_eq!(
            SqlValue::from_json(&json!("second"), &unit),
            Ok(SqlValue::Text("second".into()))
        );
        assert!(SqlValue::from_json(&json!("x".repeat(17)), &unit).is_err());
        let doc = column("jsonb", None, None, None);
        assert_eq!(
            SqlValue::from_json(&json!({"a": 1}), &doc),
            Ok(SqlValue::Json(json!({"a": 1})))
        );
        let id = column("uuid", None, None, None);
        assert_eq!(
            SqlValue::from_json(&json!("00000000-0000-0000-0000-000000000000"), &id),
            Ok(SqlValue::Cast {
                text: "00000000-0000-0000-0000-000000000000".into(),
                sql_type: "uuid".into()
            })
        );
    }
}
