//! A user's `botapp_userbalance` row, read and written under a row lock, so a
//! charge and a refund of the same user never overwrite each other.

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use crate::db::types::UtcTime;
use crate::schema::botapp_userbalance as balance;

/// An amount rounded to cents (SQLite hands decimals back as floats).
pub fn money(amount: &BigDecimal) -> BigDecimal {
    amount.with_scale_round(2, RoundingMode::HalfEven)
}

/// Balance operations on a connection (inside a queue transaction).
pub trait BalanceOps {
    /// Creates the user's balance row when missing (all zero, as Django's defaults),
    /// then locks it until the transaction ends: `(balance, total_spent)`.
    fn lock_balance(&mut self, user: i64, now: UtcTime) -> QueryResult<(BigDecimal, BigDecimal)>;

    /// Writes a new balance and total spent.
    fn set_balance(
        &mut self,
        user: i64,
        amount: &BigDecimal,
        spent: &BigDecimal,
    ) -> QueryResult<()>;
}

macro_rules! balance_ops {
    ($conn:ty) => {
        impl BalanceOps for $conn {
            fn lock_balance(
                &mut self,
                user: i64,
                now: UtcTime,
            ) -> QueryResult<(BigDecimal, BigDecimal)> {
                let zero = BigDecimal::zero().with_scale(2);
                diesel::insert_into(balance::table)
                    .values((
                        balance::balance.eq(&zero),
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
                    .on_conflict(balance::user_id)
                    .do_nothing()
                    .execute(self)?;
                // Touching the row locks it (PostgreSQL) before its values are read.
                let (amount, spent) =
                    diesel::update(balance::table.filter(balance::user_id.eq(user)))
                        .set(balance::updated_at.eq(now))
                        .returning((balance::balance, balance::total_spent))
                        .get_result::<(BigDecimal, BigDecimal)>(self)?;
                Ok((money(&amount), money(&spent)))
            }

            fn set_balance(
                &mut self,
                user: i64,
                amount: &BigDecimal,
                spent: &BigDecimal,
            ) -> QueryResult<()> {
                diesel::update(balance::table.filter(balance::user_id.eq(user)))
                    .set((
                        balance::balance.eq(money(amount)),
                        balance::total_spent.eq(money(spent)),
                    ))
                    .execute(self)
                    .map(drop)
            }
        }
    };
}

balance_ops!(PgConnection);
balance_ops!(SqliteConnection);
