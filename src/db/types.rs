//! Portable column types: one Rust type per Django field kind that reads and
//! writes what Django itself stores on each backend.
//!
//! PostgreSQL: `jsonb` and `timestamptz` (binary, through diesel's own codecs).
//! SQLite: JSON as text and datetimes as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Jsonb, SqlType, Text, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};

use super::connection::{MultiBackend, MultiRawValue};

/// SQL type of a Django `JSONField`: `jsonb` on PostgreSQL, checked text on SQLite.
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 3802, array_oid = 3807))]
#[diesel(sqlite_type(name = "Text"))]
pub struct JsonField;

/// SQL type of a Django `DateTimeField`: `timestamptz` on PostgreSQL, text on SQLite.
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DateTimeField;

/// A JSON document stored in a [`JsonField`] column.
#[derive(Debug, Clone, PartialEq, AsExpression, FromSqlRow)]
#[diesel(sql_type = JsonField)]
pub struct JsonDoc(pub serde_json::Value);

/// A point in time stored in a [`DateTimeField`] column (always UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = DateTimeField)]
pub struct UtcTime(pub DateTime<Utc>);

impl UtcTime {
    /// The current time, truncated to microseconds as both databases store it.
    pub fn now() -> Self {
        let now = Utc::now();
        let micros = now.timestamp_micros();
        Self(DateTime::from_timestamp_micros(micros).unwrap_or(now))
    }
}

impl UtcTime {
    /// This time plus a duration (saturating at the far future).
    pub fn plus(self, duration: std::time::Duration) -> Self {
        let delta = chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
        Self(
            self.0
                .checked_add_signed(delta)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// Seconds from `earlier` to this time (negative when earlier is later).
    pub fn seconds_since(self, earlier: Self) -> f64 {
        (self.0 - earlier.0).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
    }
}

/// How Django writes a datetime on SQLite (`str(naive_utc_datetime)` with microseconds).
const SQLITE_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";

fn parse_sqlite_datetime(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    // Django omits the fraction when it is zero and may write an ISO 'T' separator.
    let text = text.trim_end_matches("+00:00").replacen('T', " ", 1);
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f").map(|naive| naive.and_utc())
}

impl ToSql<JsonField, Pg> for JsonDoc {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <serde_json::Value as ToSql<Jsonb, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<JsonField, Pg> for JsonDoc {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <serde_json::Value as FromSql<Jsonb, Pg>>::from_sql(value).map(Self)
    }
}

impl ToSql<JsonField, Sqlite> for JsonDoc {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(IsNull::No)
    }
}

impl FromSql<JsonField, Sqlite> for JsonDoc {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Self(serde_json::from_str(&text)?))
    }
}

impl ToSql<DateTimeField, Pg> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<DateTimeField, Pg> for UtcTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value).map(Self)
    }
}

impl ToSql<DateTimeField, Sqlite> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.naive_utc().format(SQLITE_FORMAT).to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<DateTimeField, Sqlite> for UtcTime {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Self(parse_sqlite_datetime(&text)?))
    }
}

/// Each type on [`MultiBackend`] (the [`super::AnyConnection`]'s): whatever the
/// inner connection's backend does, as diesel's derive does for its own types.
macro_rules! on_any_backend {
    ($sql_type:ty, $rust_type:ty) => {
        impl diesel::sql_types::HasSqlType<$sql_type> for MultiBackend {
            fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
                MultiBackend::lookup_sql_type::<$sql_type>(lookup)
            }
        }

        impl FromSql<$sql_type, MultiBackend> for $rust_type {
            fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
                value.from_sql::<Self, $sql_type>()
            }
        }

        impl ToSql<$sql_type, MultiBackend> for $rust_type {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((<$sql_type>::default(), self));
                Ok(IsNull::No)
            }
        }
    };
}

on_any_backend!(JsonField, JsonDoc);
on_any_backend!(DateTimeField, UtcTime);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_datetimes_parse_in_every_form_django_writes() {
        for text in [
            "2026-11-24 05:45:27.123456",
            "2026-11-24 05:45:27",
            "2026-11-24T05:45:27.123456",
            "2026-11-24 05:45:27.123456+00:00",
        ] {
            let parsed = parse_sqlite_datetime(text).unwrap();
            assert_eq!(
                parsed.format("%Y-%m-%d %H:%M:%S").to_string(),
                "2026-11-24 05:45:27"
            );
        }
        assert!(parse_sqlite_datetime("yesterday").is_err());
    }

    #[test]
    fn sqlite_datetimes_are_written_with_microseconds() {
        let time = UtcTime(parse_sqlite_datetime("2026-11-24 05:45:27").unwrap());
        assert_eq!(
            time.0.naive_utc().format(SQLITE_FORMAT).to_string(),
            "2026-11-24 05:45:27.000000"
        );
    }
}
