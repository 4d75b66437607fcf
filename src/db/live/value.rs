//! A value for one column of a row genworker inserts, checked against the live
//! column before anything is sent: text no longer than the column holds, numbers
//! with no more whole digits than it has.

use std::str::FromStr;

use bigdecimal::BigDecimal;
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
    /// Why this value cannot go into `column`, if it cannot.
    pub fn misfit(&self, column: &LiveColumn) -> Option<String> {
        match self {
            Self::Null if !column.nullable => Some(format!("NULL does not fit {column}")),
            Self::Text(text) => {
                let chars = text.chars().count();
                column
                    .max_chars
                    .filter(|max| chars > *max as usize)
                    .map(|max| {
                        format!(
                            "{chars} characters do not fit {} (at most {max})",
                            column.declared
                        )
                    })
            }
            Self::Numeric(number) => {
                let whole = whole_digits(number);
                column
                    .whole_digits()
                    .filter(|max| whole > *max)
                    .map(|_| format!("{number} does not fit {}", column.declared))
            }
            _ => None,
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
            (SqlKind::Numeric, Value::Number(n)) => BigDecimal::from_str(&n.to_string())
                .map(Self::Numeric)
                .map_err(|_| wrong())?,
            (SqlKind::Numeric, Value::String(text)) => BigDecimal::from_str(text.trim())
                .map(Self::Numeric)
                .map_err(|_| wrong())?,
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
        match parsed.misfit(column) {
            Some(reason) => Err(reason),
            None => Ok(parsed),
        }
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

    #[test]
    fn values_that_do_not_fit_are_named() {
        let price = column("numeric", None, Some(6), Some(2));
        let fits = SqlValue::Numeric(BigDecimal::from_str("9999.99").unwrap());
        assert_eq!(fits.misfit(&price), None);
        let too_big = SqlValue::Numeric(BigDecimal::from_str("10000").unwrap());
        assert_eq!(
            too_big.misfit(&price).as_deref(),
            Some("10000 does not fit numeric(6,2)")
        );
        let ratio = column("varchar", Some(10), None, None);
        assert!(SqlValue::from("16:9").misfit(&ratio).is_none());
        assert_eq!(
            SqlValue::from("ß".repeat(11)).misfit(&ratio).as_deref(),
            Some("11 characters do not fit varchar(10) (at most 10)")
        );
        assert!(SqlValue::Null.misfit(&ratio).is_some());
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
