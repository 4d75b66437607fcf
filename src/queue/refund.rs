//! The refund of a failed request, exactly as the bot's own code writes it
//! (DESIGN §8), at most once per request (`genworker_refund`'s primary key,
//! checked under the request's row lock).

use bigdecimal::{BigDecimal, Zero};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use serde_json::json;

use crate::db::types::{JsonDoc, UtcTime};
use crate::schema::{
    botapp_transaction as tx, botapp_userbalance as balance, genworker_refund as refund,
};

/// What happened to the user's money.
#[derive(Debug, Clone, PartialEq)]
pub enum RefundOutcome {
    /// A refund transaction was written.
    Refunded {
        /// The new `botapp_transaction` row.
        transaction_id: i64,
        /// The amount given back.
        amount: BigDecimal,
    },
    /// The request has no charge (`transaction_id` NULL): nothing to give back.
    NoCharge,
    /// The charge is missing or not negative: nothing given back (logged).
    InvalidCharge(String),
    /// An earlier failure already refunded it.
    AlreadyRefunded,
}

/// Refund operations on a connection (call inside a queue transaction).
pub trait RefundOps {
    /// The charge row: `Ok((user, |amount|))`, or why it cannot be refunded.
    fn charge(&mut self, charge: i64) -> QueryResult<Result<(i64, BigDecimal), String>>;

    /// Gives back the charge of a failed request, once.
    fn refund(
        &mut self,
        request: i64,
        charge: Option<i64>,
        reason: &str,
    ) -> QueryResult<RefundOutcome>;
}

macro_rules! refund_ops {
    ($conn:ty) => {
        impl RefundOps for $conn {
            fn charge(&mut self, charge: i64) -> QueryResult<Result<(i64, BigDecimal), String>> {
                let row = tx::table
                    .find(charge)
                    .select((tx::user_id, tx::amount))
                    .first::<(i64, BigDecimal)>(self)
                    .optional()?;
                Ok(match row {
                    None => Err(format!("charge transaction {charge} does not exist")),
                    Some((_, amount)) if amount >= BigDecimal::zero() => Err(format!(
                        "charge transaction {charge} is not negative ({amount})"
                    )),
                    Some((user, amount)) => Ok((user, -amount)),
                })
            }

            fn refund(
                &mut self,
                request: i64,
                charge: Option<i64>,
                reason: &str,
            ) -> QueryResult<RefundOutcome> {
                let Some(charge) = charge else {
                    return Ok(RefundOutcome::NoCharge);
                };
                let done = refund::table
                    .find(request)
                    .count()
                    .get_result::<i64>(self)?;
                if done > 0 {
                    return Ok(RefundOutcome::AlreadyRefunded);
                }
                let (user, amount) = match self.charge(charge)? {
                    Ok(found) => found,
                    Err(reason) => return Ok(RefundOutcome::InvalidCharge(reason)),
                };
                let amount = amount.with_scale(2);
                let now = UtcTime::now();
                let current = balance::table
                    .filter(balance::user_id.eq(user))
                    .select((balance::id, balance::balance, balance::total_spent))
                    .first::<(i64, BigDecimal, BigDecimal)>(self)
                    .optional()?;
                let new_balance = match current {
                    Some((id, old, spent)) => {
                        let new_balance = (old + &amount).with_scale(2);
                        let spent = (spent - &amount).max(BigDecimal::zero()).with_scale(2);
                        diesel::update(balance::table.find(id))
                            .set((
                                balance::balance.eq(&new_balance),
                                balance::total_spent.eq(spent),
                                balance::updated_at.eq(now),
                            ))
                            .execute(self)?;
                        new_balance
                    }
                    None => {
                        let zero = BigDecimal::zero().with_scale(2);
                        diesel::insert_into(balance::table)
                            .values((
                                balance::balance.eq(&amount),
                                balance::total_spent.eq(&zero),
                                balance::total_deposited.eq(&zero),
                                balance::bonus_balance.eq(&zero),
                                balance::referral_code.eq(None::<String>),
                                balance::referral_earnings.eq(&zero),
                                balance::created_at.eq(now),
                                balance::updated_at.eq(now),
                                balance::referred_by_id.eq(None::<i64>),
                                balance::user_id.eq(user),
                            ))
                            .execute(self)?;
                        amount.clone()
                    }
                };
                let transaction_id = diesel::insert_into(tx::table)
                    .values((
                        tx::kind.eq("refund"),
                        tx::amount.eq(&amount),
                        tx::balance_after.eq(&new_balance),
                        tx::description.eq(format!("Возврат за неудачную генерацию: {reason}")),
                        tx::description_en.eq(format!("Refund for failed generation: {reason}")),
                        tx::payment_method.eq(None::<String>),
                        tx::payment_id.eq(None::<String>),
                        tx::payment_data.eq(JsonDoc(json!({}))),
                        tx::is_completed.eq(true),
                        tx::is_pending.eq(false),
                        tx::created_at.eq(now),
                        tx::updated_at.eq(now),
                        tx::generation_request_id.eq(None::<i64>),
                        tx::related_transaction_id.eq(Some(charge)),
                        tx::user_id.eq(user),
                    ))
                    .returning(tx::id)
                    .get_result::<i64>(self)?;
                diesel::insert_into(refund::table)
                    .values((
                        refund::request_id.eq(request),
                        refund::transaction_id.eq(transaction_id),
                        refund::created_at.eq(now),
                    ))
                    .execute(self)?;
                Ok(RefundOutcome::Refunded {
                    transaction_id,
                    amount,
                })
            }
        }
    };
}

refund_ops!(PgConnection);
refund_ops!(SqliteConnection);
