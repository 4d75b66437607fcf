//! The bot's USD pricing of its later releases (`../shared/contract/latest/changes.md`):
//! models carry `base_cost_usd`/`unit_cost_usd` per `cost_unit`, `pricing_settings`
//! converts dollars to tokens, and each request records its USD cost in
//! `botapp_genrequest.cost_usd`. genworker computes these values only where the
//! live tables have the columns, for the rows it inserts.

use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::AnyConnection;
use crate::db::live::{ReadColumns, Tables};

/// Tokens per US dollar when `pricing_settings` has no row: the bot seeds
/// `usd_to_token_rate` 20 and `markup_multiplier` 2.
const DEFAULT_TOKENS_PER_USD: u32 = 40;

/// A model's cost columns (zero / `generation` where the table has none).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCosts {
    /// `base_cost_usd`: USD per unit.
    pub base_cost_usd: BigDecimal,
    /// `unit_cost_usd`: the older per-generation cost.
    pub unit_cost_usd: BigDecimal,
    /// `cost_unit`: `generation`, `second` or `image`.
    pub cost_unit: String,
}

/// What a request asks for, as the bot's pricing counts units.
#[derive(Debug, Clone, Copy)]
pub struct RequestUnits {
    /// Results asked for.
    pub quantity: i16,
    /// Seconds of video (`None`: unknown, counted as 1).
    pub duration: Option<i32>,
}

/// USD for a model's price in tokens (`price / tokens_per_usd`, 4 places), as the
/// bot's migration 0027 derived `unit_cost_usd` from existing prices.
pub fn price_in_usd(price: &BigDecimal, tokens_per_usd: &BigDecimal) -> BigDecimal {
    if tokens_per_usd.is_zero() {
        return BigDecimal::zero().with_scale(4);
    }
    (price / tokens_per_usd).with_scale_round(4, RoundingMode::HalfUp)
}

/// The request's USD cost, as the bot's `calculate_request_cost`: the model's base
/// cost (else its unit cost) times the units of its `cost_unit`; when that is zero
/// and the price is not, the price's tokens converted to dollars.
pub fn request_cost_usd(
    costs: &ModelCosts,
    units: RequestUnits,
    price: &BigDecimal,
    tokens_per_usd: &BigDecimal,
) -> BigDecimal {
    let base = if costs.base_cost_usd.is_zero() {
        &costs.unit_cost_usd
    } else {
        &costs.base_cost_usd
    };
    let count = match costs.cost_unit.as_str() {
        "second" => i64::from(units.duration.unwrap_or(1).max(1)),
        "image" => i64::from(units.quantity.max(1)),
        _ => 1,
    };
    let count = BigDecimal::from(count);
    let cost = (base * &count).with_scale_round(4, RoundingMode::HalfUp);
    if cost.is_zero() && *price > BigDecimal::zero() {
        return price_in_usd(&(price * &count), tokens_per_usd);
    }
    cost
}

/// `usd_to_token_rate × markup_multiplier` of the first `pricing_settings` row,
/// or the bot's seeded 40 when the table or its row is missing.
pub fn tokens_per_usd(conn: &mut AnyConnection) -> QueryResult<BigDecimal> {
    let default = BigDecimal::from(DEFAULT_TOKENS_PER_USD);
    if !conn.table_exists("pricing_settings")? {
        return Ok(default);
    }
    let row = diesel::sql_query(
        "SELECT CAST(usd_to_token_rate * markup_multiplier AS TEXT) AS rate \
         FROM pricing_settings ORDER BY id LIMIT 1",
    )
    .get_result::<Rate>(conn)
    .optional()?;
    Ok(row
        .and_then(|row| row.rate)
        .and_then(|rate| BigDecimal::from_str(rate.trim()).ok())
        .unwrap_or(default))
}

/// The cost columns of model `id`, those the live table has.
pub fn model_costs(conn: &mut AnyConnection, tables: &Tables, id: i64) -> QueryResult<ModelCosts> {
    let sql = format!(
        "SELECT {} AS base, {} AS unit, {} AS cost_unit FROM botapp_aimodel WHERE id = {}",
        column_or_null(tables, "base_cost_usd"),
        column_or_null(tables, "unit_cost_usd"),
        column_or_null(tables, "cost_unit"),
        conn.kind().placeholder(1)
    );
    let row = diesel::sql_query(sql)
        .bind::<BigInt, _>(id)
        .get_result::<CostRow>(conn)
        .optional()?;
    let row = row.unwrap_or(CostRow {
        base: None,
        unit: None,
        cost_unit: None,
    });
    Ok(ModelCosts {
        base_cost_usd: decimal(row.base.as_deref()),
        unit_cost_usd: decimal(row.unit.as_deref()),
        cost_unit: row.cost_unit.unwrap_or_else(|| "generation".into()),
    })
}

#[derive(QueryableByName)]
struct Rate {
    #[diesel(sql_type = Nullable<Text>)]
    rate: Option<String>,
}

#[derive(QueryableByName)]
struct CostRow {
    #[diesel(sql_type = Nullable<Text>)]
    base: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    unit: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    cost_unit: Option<String>,
}

/// `CAST(<column> AS TEXT)` where the live table has it, else NULL.
fn column_or_null(tables: &Tables, column: &str) -> String {
    if tables.column("botapp_aimodel", column).is_some() {
        format!("CAST(\"{column}\" AS TEXT)")
    } else {
        "NULL".to_owned()
    }
}

fn decimal(text: Option<&str>) -> BigDecimal {
    text.and_then(|text| BigDecimal::from_str(text.trim()).ok())
        .unwrap_or_else(BigDecimal::zero)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> BigDecimal {
        BigDecimal::from_str(text).unwrap()
    }

    fn costs(base: &str, unit: &str, cost_unit: &str) -> ModelCosts {
        ModelCosts {
            base_cost_usd: d(base),
            unit_cost_usd: d(unit),
            cost_unit: cost_unit.into(),
        }
    }

    #[test]
    fn the_bots_measured_example_kling_v2_6_five_seconds() {
        let units = RequestUnits {
            quantity: 1,
            duration: Some(5),
        };
        let cost = request_cost_usd(
            &costs("0.0550", "0.0550", "second"),
            units,
            &d("2.20"),
            &d("40"),
        );
        assert_eq!(cost.to_string(), "0.2750");
    }

    #[test]
    fn units_follow_the_cost_unit_and_zero_costs_fall_back_to_the_price() {
        let one = RequestUnits {
            quantity: 3,
            duration: None,
        };
        assert_eq!(
            request_cost_usd(&costs("0", "1.2250", "generation"), one, &d("49"), &d("40"))
                .to_string(),
            "1.2250"
        );
        assert_eq!(
            request_cost_usd(&costs("0.01", "0", "image"), one, &d("1"), &d("40")).to_string(),
            "0.0300"
        );
        assert_eq!(
            request_cost_usd(&costs("0", "0", "generation"), one, &d("69.00"), &d("40"))
                .to_string(),
            "1.7250"
        );
        assert_eq!(
            request_cost_usd(&costs("0", "0", "generation"), one, &d("0"), &d("40")),
            d("0")
        );
        assert_eq!(price_in_usd(&d("69.00"), &d("40")).to_string(), "1.7250");
    }
}
