//! The refund of a failed request, exactly as the bot's own code writes it
//! (DESIGN §8), at most once per request ever: `genworker_refund`'s primary key,
//! checked under the request's row lock, and no `refund` transaction of the same
//! charge (the bot's own worker may have refunded the request before).
//! Call every function here inside a queue transaction.

use bigdecimal::{BigDecimal, Zero};
use diesel::prelude::*;

use super::balance::{Movement, lock_balance, money, set_balance};
use crate::db::AnyConnection;
use crate::db::live::Tables;
use crate::db::types::UtcTime;
use crate::schema::{botapp_transaction as tx, genworker_refund as refund};

/// The botapp tables a refund inserts rows into (the balance row when missing,
/// the refund transaction): what the daemon's start-up check must plan.
pub const REFUND_INSERTS: [&str; 2] = ["botapp_userbalance", "botapp_transaction"];

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
    InvalidCharge(ChargeError),
    /// An earlier failure already refunded it.
    AlreadyRefunded,
}

impl RefundOutcome {
    /// What happened, as one word for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Refunded { .. } => "refunded",
            Self::NoCharge => "no_charge",
            Self::InvalidCharge(_) => "invalid_charge",
            Self::AlreadyRefunded => "already_refunded",
        }
    }
}

/// Why a request's charge cannot be refunded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChargeError {
    /// `transaction_id` names no transaction.
    #[error("charge transaction {0} does not exist")]
    Missing(i64),
    /// The transaction is not a charge: its amount is zero or positive.
    #[error("charge transaction {charge} is not negative ({amount})")]
    NotNegative {
        /// The transaction.
        charge: i64,
        /// Its amount.
        amount: BigDecimal,
    },
}

/// The charge row: `Ok((user, |amount|))`, or why it cannot be refunded.
pub fn load_charge(
    conn: &mut AnyConnection,
    charge: i64,
) -> QueryResult<Result<(i64, BigDecimal), ChargeError>> {
    let row = tx::table
        .find(charge)
        .select((tx::user_id, tx::amount))
        .first::<(i64, BigDecimal)>(conn)
        .optional()?;
    Ok(refundable(charge, row))
}

/// Gives back the charge of a failed request, once.
pub fn refund(
    conn: &mut AnyConnection,
    tables: &Tables,
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
        .get_result::<i64>(conn)?;
    // The bot's own worker may have refunded it before genworker ran it.
    let by_the_bot = tx::table
        .filter(tx::kind.eq("refund"))
        .filter(tx::related_transaction_id.eq(charge))
        .count()
        .get_result::<i64>(conn)?;
    if done + by_the_bot > 0 {
        return Ok(RefundOutcome::AlreadyRefunded);
    }
    let (user, amount) = match load_charge(conn, charge)? {
        Ok(found) => found,
        Err(reason) => return Ok(RefundOutcome::InvalidCharge(reason)),
    };
    let amount = money(&amount);
    let now = UtcTime::now();
    let (old, spent) = lock_balance(conn, tables, user, now)?;
    let new_balance = money(&(old + &amount));
    let spent = (spent - &amount).max(BigDecimal::zero());
    set_balance(conn, user, &new_balance, &spent)?;
    let movement = Movement {
        kind: "refund",
        amount: &amount,
        balance_after: &new_balance,
        description: format!("Возврат за неудачную генерацию: {reason}"),
        description_en: format!("Refund for failed generation: {reason}"),
        related: Some(charge),
        user,
    };
    let transaction_id = tables.insert(conn, movement.row(now))?;
    diesel::insert_into(refund::table)
        .values((
            refund::request_id.eq(request),
            refund::transaction_id.eq(transaction_id),
            refund::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(RefundOutcome::Refunded {
        transaction_id,
        amount,
    })
}

/// Whether the charge transaction `charge`, read as `(user, amount)`, can be
/// refunded: `Ok((user, |amount|))`, or why not.
pub(super) fn refundable(
    charge: i64,
    row: Option<(i64, BigDecimal)>,
) -> Result<(i64, BigDecimal), ChargeError> {
    match row {
        None => Err(ChargeError::Missing(charge)),
        Some((_, amount)) if amount >= BigDecimal::zero() => {
            Err(ChargeError::NotNegative { charge, amount })
        }
        Some((user, amount)) => Ok((user, -amount)),
    }
}
