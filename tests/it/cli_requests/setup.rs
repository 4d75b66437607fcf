//! Direct database access for the queue command tests: putting requests into
//! states only the daemon reaches, and reading the bot's user and money rows.

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use genworker::catalog::money_text;
use genworker::db::types::{JsonDoc, UtcTime};
use genworker::db::{Database, DbError};
use genworker::schema::{
    botapp_aimodel as model, botapp_genrequest as req, botapp_tguser as tguser,
    botapp_transaction as tx, botapp_userbalance as balance, genworker_lease as lease,
    genworker_refund as refund,
};
use genworker::with_conn;
use serde_json::Value;

/// `now` moved by `seconds` (negative: the past).
fn now_plus(seconds: i64) -> UtcTime {
    UtcTime(UtcTime::now().0 + chrono::Duration::seconds(seconds))
}

/// Rows in a table.
pub async fn count(pool: &Database, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let found: Result<Count, DbError> = with_conn!(pool, |conn| diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .map_err(DbError::from));
    found.unwrap().n
}

/// Puts a request into `state` with the columns the daemon would have written.
pub async fn set_request(pool: &Database, id: i64, state: &str, task_id: &str) {
    let (state, task_id) = (state.to_owned(), task_id.to_owned());
    let ended = ["done", "error", "cancelled"].contains(&state.as_str());
    let timed = ["done", "error"].contains(&state.as_str());
    let error = if state == "error" { "boom" } else { "" };
    let started = (state != "queued").then(|| now_plus(-30));
    let done: Result<usize, DbError> = with_conn!(pool, |conn| {
        diesel::update(req::table.find(id))
            .set((
                req::status.eq(&state),
                req::provider_job_id.eq(&task_id),
                req::error_message.eq(error),
                req::started_at.eq(started),
                req::completed_at.eq(ended.then(UtcTime::now)),
                req::processing_time.eq(timed.then_some(12.5)),
            ))
            .execute(conn)
            .map_err(DbError::from)
    });
    assert_eq!(done.unwrap(), 1);
}

/// Moves a request's creation time `seconds` into the past.
pub async fn set_created_ago(pool: &Database, id: i64, seconds: i64) {
    let at = now_plus(-seconds);
    let done: Result<usize, DbError> = with_conn!(pool, |conn| {
        diesel::update(req::table.find(id))
            .set(req::created_at.eq(at))
            .execute(conn)
            .map_err(DbError::from)
    });
    assert_eq!(done.unwrap(), 1);
}

/// Switches a model's image input on or off (no command does).
pub async fn set_image_input(pool: &Database, slug: &str, on: bool) {
    let slug = slug.to_owned();
    let done: Result<usize, DbError> = with_conn!(pool, |conn| {
        diesel::update(model::table.filter(model::slug.eq(&slug)))
            .set(model::supports_image_input.eq(on))
            .execute(conn)
            .map_err(DbError::from)
    });
    assert_eq!(done.unwrap(), 1);
}

/// A `genworker_lease` row to write.
pub struct Lease {
    /// The holder (`None`: released).
    pub worker: Option<&'static str>,
    /// The claim number.
    pub attempt: i32,
    /// Retryable failures so far.
    pub failures: i32,
    /// Seconds since it expired (negative: still live).
    pub ago: i64,
    /// Whether the outcome was delivered.
    pub delivered: bool,
}

impl Lease {
    /// Held by `worker` for another hour.
    pub fn live(worker: &'static str, attempt: i32) -> Self {
        Self {
            worker: Some(worker),
            attempt,
            failures: 0,
            ago: -3_600,
            delivered: false,
        }
    }
}

/// Writes (or replaces) a request's lease.
pub async fn put_lease(pool: &Database, id: i64, lease: Lease) {
    let expires = now_plus(-lease.ago);
    let done: Result<usize, DbError> = with_conn!(pool, |conn| {
        diesel::delete(lease::table.find(id)).execute(conn)?;
        diesel::insert_into(lease::table)
            .values((
                lease::request_id.eq(id),
                lease::worker_id.eq(lease.worker),
                lease::attempt.eq(lease.attempt),
                lease::failures.eq(lease.failures),
                lease::lease_expires_at.eq(expires),
                lease::last_error.eq("timeout"),
                lease::delivered.eq(lease.delivered),
                lease::updated_at.eq(UtcTime::now()),
            ))
            .execute(conn)
            .map_err(DbError::from)
    });
    assert_eq!(done.unwrap(), 1);
}

/// Records a refund of a request.
pub async fn put_refund(pool: &Database, id: i64, transaction: i64) {
    let done: Result<usize, DbError> = with_conn!(pool, |conn| {
        diesel::insert_into(refund::table)
            .values((
                refund::request_id.eq(id),
                refund::transaction_id.eq(transaction),
                refund::created_at.eq(UtcTime::now()),
            ))
            .execute(conn)
            .map_err(DbError::from)
    });
    assert_eq!(done.unwrap(), 1);
}

/// A `botapp_tguser` row.
#[derive(Debug, Queryable)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub is_blocked: bool,
    pub is_premium: bool,
    pub language_code: String,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

/// The user with this Telegram chat id.
pub async fn user_row(pool: &Database, chat: i64) -> UserRow {
    let found: Result<UserRow, DbError> = with_conn!(pool, |conn| {
        tguser::table
            .filter(tguser::chat_id.eq(chat))
            .select((
                tguser::id,
                tguser::username,
                tguser::first_name,
                tguser::last_name,
                tguser::is_blocked,
                tguser::is_premium,
                tguser::language_code,
                tguser::created_at,
                tguser::updated_at,
            ))
            .first(conn)
            .map_err(DbError::from)
    });
    found.unwrap()
}

/// A `botapp_userbalance` row, amounts as `0.00` text.
pub struct BalanceRow {
    /// balance, total_spent, total_deposited, bonus_balance, referral_earnings.
    pub money: Vec<String>,
    pub referral_code: Option<String>,
    pub referred_by_id: Option<i64>,
}

/// The balance of a user.
pub async fn balance_row(pool: &Database, user: i64) -> BalanceRow {
    type Row = (
        BigDecimal,
        BigDecimal,
        BigDecimal,
        BigDecimal,
        BigDecimal,
        Option<String>,
        Option<i64>,
    );
    let found: Result<Row, DbError> = with_conn!(pool, |conn| {
        balance::table
            .filter(balance::user_id.eq(user))
            .select((
                balance::balance,
                balance::total_spent,
                balance::total_deposited,
                balance::bonus_balance,
                balance::referral_earnings,
                balance::referral_code,
                balance::referred_by_id,
            ))
            .first(conn)
            .map_err(DbError::from)
    });
    let (amount, spent, deposited, bonus, earnings, referral_code, referred_by_id) = found.unwrap();
    BalanceRow {
        money: [amount, spent, deposited, bonus, earnings]
            .iter()
            .map(money_text)
            .collect(),
        referral_code,
        referred_by_id,
    }
}

/// A `botapp_transaction` row, amounts as `0.00` text.
pub struct TransactionRow {
    pub kind: String,
    pub amount: String,
    pub balance_after: String,
    pub description: String,
    pub description_en: String,
    pub payment_method: Option<String>,
    pub payment_id: Option<String>,
    pub payment_data: Value,
    pub is_completed: bool,
    pub is_pending: bool,
    pub generation_request_id: Option<i64>,
    pub related_transaction_id: Option<i64>,
    pub user_id: i64,
}

/// The transaction with this id.
pub async fn transaction_row(pool: &Database, id: i64) -> TransactionRow {
    type Row = (
        String,
        BigDecimal,
        BigDecimal,
        String,
        String,
        Option<String>,
        Option<String>,
        JsonDoc,
        bool,
        bool,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let found: Result<Row, DbError> = with_conn!(pool, |conn| {
        tx::table
            .find(id)
            .select((
                tx::kind,
                tx::amount,
                tx::balance_after,
                tx::description,
                tx::description_en,
                tx::payment_method,
                tx::payment_id,
                tx::payment_data,
                tx::is_completed,
                tx::is_pending,
                tx::generation_request_id,
                tx::related_transaction_id,
                tx::user_id,
            ))
            .first(conn)
            .map_err(DbError::from)
    });
    let row = found.unwrap();
    TransactionRow {
        kind: row.0,
        amount: money_text(&row.1),
        balance_after: money_text(&row.2),
        description: row.3,
        description_en: row.4,
        payment_method: row.5,
        payment_id: row.6,
        payment_data: row.7.0,
        is_completed: row.8,
        is_pending: row.9,
        generation_request_id: row.10,
        related_transaction_id: row.11,
        user_id: row.12,
    }
}
