//! Reading the rows the daemon wrote, outside genworker's own code paths.

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use genworker::db::DbError;
use genworker::db::types::{JsonDoc, UtcTime};
use genworker::schema::{
    botapp_aimodel as model, botapp_genrequest as req, botapp_transaction as tx,
    botapp_userbalance as balance, genworker_lease as lease, genworker_refund as refund,
};
use genworker::with_conn;

use super::Harness;

/// A `botapp_transaction` row.
#[derive(Debug, Clone, Queryable)]
#[allow(dead_code)]
pub struct TxRow {
    pub id: i64,
    pub kind: String,
    pub amount: BigDecimal,
    pub balance_after: BigDecimal,
    pub description: String,
    pub description_en: String,
    pub payment_method: Option<String>,
    pub payment_id: Option<String>,
    pub payment_data: JsonDoc,
    pub is_completed: bool,
    pub is_pending: bool,
    pub generation_request_id: Option<i64>,
    pub related_transaction_id: Option<i64>,
    pub user_id: i64,
}

impl Harness {
    pub async fn transactions(&self) -> Vec<TxRow> {
        with_conn!(&self.pool, |conn| {
            tx::table
                .order(tx::id)
                .select((
                    tx::id,
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
                .load::<TxRow>(conn)
                .map_err(DbError::from)
        })
        .unwrap()
    }

    /// (balance, total_spent) of every balance row.
    pub async fn balances(&self) -> Vec<(BigDecimal, BigDecimal)> {
        with_conn!(&self.pool, |conn| balance::table
            .order(balance::id)
            .select((balance::balance, balance::total_spent))
            .load(conn)
            .map_err(DbError::from))
        .unwrap()
    }

    /// (total_generations, total_errors, average_generation_time) of the Kling model.
    pub async fn model_counters(&self) -> (i32, i32, f64) {
        let slug = self.db.kling_slug();
        with_conn!(&self.pool, |conn| model::table
            .filter(model::slug.eq(slug))
            .select((
                model::total_generations,
                model::total_errors,
                model::average_generation_time
            ))
            .first(conn)
            .map_err(DbError::from))
        .unwrap()
    }

    /// A request's `processing_time`.
    pub async fn request_times(&self, id: i64) -> Option<f64> {
        with_conn!(&self.pool, |conn| req::table
            .find(id)
            .select(req::processing_time)
            .first::<Option<f64>>(conn)
            .map_err(DbError::from))
        .unwrap()
    }

    /// (worker_id, attempt, failures, delivered) of a request's lease.
    pub async fn lease(&self, id: i64) -> Option<(Option<String>, i32, i32, bool)> {
        with_conn!(&self.pool, |conn| lease::table
            .find(id)
            .select((
                lease::worker_id,
                lease::attempt,
                lease::failures,
                lease::delivered
            ))
            .first(conn)
            .optional()
            .map_err(DbError::from))
        .unwrap()
    }

    /// (file_sizes, completed_at, processing_time, provider_metadata) of a request.
    pub async fn outcome_columns(
        &self,
        id: i64,
    ) -> (
        serde_json::Value,
        Option<UtcTime>,
        Option<f64>,
        serde_json::Value,
    ) {
        let (sizes, completed, seconds, metadata) = with_conn!(&self.pool, |conn| req::table
            .find(id)
            .select((
                req::file_sizes,
                req::completed_at,
                req::processing_time,
                req::provider_metadata
            ))
            .first::<(JsonDoc, Option<UtcTime>, Option<f64>, JsonDoc)>(conn)
            .map_err(DbError::from))
        .unwrap();
        (sizes.0, completed, seconds, metadata.0)
    }

    /// Rows in `genworker_worker`.
    pub async fn registered_workers(&self) -> i64 {
        with_conn!(&self.pool, |conn| {
            genworker::schema::genworker_worker::table
                .count()
                .get_result(conn)
                .map_err(DbError::from)
        })
        .unwrap()
    }

    pub async fn refund_count(&self) -> i64 {
        with_conn!(&self.pool, |conn| refund::table
            .count()
            .get_result(conn)
            .map_err(DbError::from))
        .unwrap()
    }
}
