//! A user's money: the `botapp_userbalance` row, read and written under a row
//! lock so a charge and a refund of the same user never overwrite each other, and
//! the `botapp_transaction` rows that record each movement.
//! Call every function here inside a queue transaction.

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use diesel::prelude::*;
use serde_json::json;

use crate::db::AnyConnection;
use crate::db::live::{Row, SqlValue, Tables};
use crate::db::types::UtcTime;
use crate::schema::botapp_userbalance as balance;

/// An amount rounded to cents (SQLite hands decimals back as floats).
pub fn money(amount: &BigDecimal) -> BigDecimal {
    amount.with_scale_round(2, RoundingMode::HalfEven)
}

/// One movement of a user's money, as the bot records it in `botapp_transaction`.
pub struct Movement<'a> {
    /// `generation` (a charge) or `refund`.
    pub kind: &'static str,
    /// Negative for a charge.
    pub amount: &'a BigDecimal,
    /// The balance right after it.
    pub balance_after: &'a BigDecimal,
    /// In Russian.
    pub description: String,
    /// In English.
    pub description_en: String,
    /// The charge a refund gives back.
    pub related: Option<i64>,
    /// The user (`botapp_tguser`).
    pub user: i64,
}

impl Movement<'_> {
    /// The `botapp_transaction` row: completed, not pending, no payment.
    pub fn row(&self, now: UtcTime) -> Row {
        Row::new("botapp_transaction")
            .set("type", self.kind)
            .set("amount", self.amount)
            .set("balance_after", self.balance_after)
            .set("description", self.description.as_str())
            .set("description_en", self.description_en.as_str())
            .set("payment_method", SqlValue::Null)
            .set("payment_id", SqlValue::Null)
            .set("payment_data", json!({}))
            .set("is_completed", true)
            .set("is_pending", false)
            .set("created_at", now)
            .set("updated_at", now)
            .set("generation_request_id", SqlValue::Null)
            .set("related_transaction_id", self.related)
            .set("user_id", self.user)
    }
}

/// Creates the user's balance row when missing (all zero, as Django's defaults),
/// then locks it until the transaction ends: `(balance, total_spent)`.
pub fn lock_balance(
    conn: &mut AnyConnection,
    tables: &Tables,
    user: i64,
    now: UtcTime,
) -> QueryResult<(BigDecimal, BigDecimal)> {
    let zero = BigDecimal::zero().with_scale(2);
    let row = Row::new("botapp_userbalance")
        .set("balance", &zero)
        .set("total_spent", &zero)
        .set("total_deposited", &zero)
        .set("bonus_balance", &zero)
        .set("referral_code", SqlValue::Null)
        .set("referral_earnings", &zero)
        .set("created_at", now)
        .set("updated_at", now)
        .set("referred_by_id", SqlValue::Null)
        .set("user_id", user);
    tables.insert_absent(conn, row, "user_id")?;
    // Touching the row locks it (PostgreSQL) before its values are read.
    let (amount, spent) = diesel::update(balance::table.filter(balance::user_id.eq(user)))
        .set(balance::updated_at.eq(now))
        .returning((balance::balance, balance::total_spent))
        .get_result::<(BigDecimal, BigDecimal)>(conn)?;
    Ok((money(&amount), money(&spent)))
}

/// Writes a new balance and total spent.
pub fn set_balance(
    conn: &mut AnyConnection,
    user: i64,
    amount: &BigDecimal,
    spent: &BigDecimal,
) -> QueryResult<()> {
    diesel::update(balance::table.filter(balance::user_id.eq(user)))
        .set((
            balance::balance.eq(money(amount)),
            balance::total_spent.eq(money(spent)),
        ))
        .execute(conn)
        .map(drop)
}
