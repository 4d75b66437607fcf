//! Reading requests for operators: a newest-first list and one request in full,
//! with genworker's lease and refund records beside it.

use bigdecimal::BigDecimal;
use diesel::prelude::*;

use super::AdminError;
use crate::db::Database;
use crate::db::types::{JsonDoc, UtcTime};
use crate::queue::status;
use crate::schema::{
    botapp_aimodel as model, botapp_genrequest as req, genworker_lease as lease,
    genworker_refund as refund,
};
use crate::with_conn;

/// One line of `requests list`.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct RequestSummary {
    /// The request.
    pub id: i64,
    /// Its run code.
    pub run_code: String,
    /// The model's slug as stored on the request.
    pub model: String,
    /// Its status.
    pub status: String,
    /// When the bot created it.
    pub created_at: UtcTime,
    /// The claim number of its lease, when genworker has claimed it.
    pub attempt: Option<i32>,
    /// The provider's task id (empty before one exists).
    pub provider_job_id: String,
    /// Whether its model is active (`None`: no such model).
    pub model_active: Option<bool>,
}

impl RequestSummary {
    /// Queued, but its model is inactive, so no worker claims it.
    pub fn paused(&self) -> bool {
        self.status == status::QUEUED && self.model_active == Some(false)
    }
}

/// Every column of a `botapp_genrequest` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = req)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RequestRecord {
    /// Primary key.
    pub id: i64,
    /// Unique code; the video's file name.
    pub run_code: String,
    /// Telegram chat to notify.
    pub chat_id: i64,
    /// The user's prompt.
    pub prompt: String,
    /// Results asked for.
    pub quantity: i16,
    /// The model's slug.
    pub model: String,
    /// `queued`, `processing`, `done`, `error`, `cancelled`.
    pub status: String,
    /// URLs of the results.
    pub result_urls: JsonDoc,
    /// When the bot created it.
    pub created_at: UtcTime,
    /// When it ended.
    pub completed_at: Option<UtcTime>,
    /// What the user paid.
    pub cost: BigDecimal,
    /// Seconds of video.
    pub duration: Option<i32>,
    /// Why it failed.
    pub error_message: String,
    /// Sizes of the results in bytes.
    pub file_sizes: JsonDoc,
    /// The user's params.
    pub generation_params: JsonDoc,
    /// `text2video` or `image2video`.
    pub generation_type: String,
    /// Input images.
    pub input_images: JsonDoc,
    /// Seconds from start to end.
    pub processing_time: Option<f64>,
    /// When processing first started.
    pub started_at: Option<UtcTime>,
    /// The bot user.
    pub user_id: Option<i64>,
    /// e.g. `1080p`.
    pub video_resolution: String,
    /// The model.
    pub ai_model_id: Option<i64>,
    /// The charge.
    pub transaction_id: Option<i64>,
    /// e.g. `16:9`.
    pub aspect_ratio: String,
    /// The provider's task id.
    pub provider_job_id: String,
    /// The provider's responses.
    pub provider_metadata: JsonDoc,
    /// `{"telegram_file_id": …}` for image2video.
    pub source_media: JsonDoc,
    /// The request this one remixes.
    pub parent_request_id: Option<i64>,
}

/// A request's `genworker_lease` row.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct LeaseInfo {
    /// The worker holding it (`None`: released).
    pub worker_id: Option<String>,
    /// The claim number.
    pub attempt: i32,
    /// Retryable failures so far.
    pub failures: i32,
    /// When the lease ends (or a retry is due).
    pub lease_expires_at: UtcTime,
    /// The last retryable failure.
    pub last_error: String,
    /// Whether the user has been told the outcome.
    pub delivered: bool,
}

/// A request's `genworker_refund` row.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct RefundInfo {
    /// The refund `botapp_transaction`.
    pub transaction_id: i64,
    /// When it was made.
    pub created_at: UtcTime,
}

/// One request in full.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetails {
    /// Every column of the request.
    pub request: RequestRecord,
    /// genworker's lease, once claimed.
    pub lease: Option<LeaseInfo>,
    /// The refund, when one was made.
    pub refund: Option<RefundInfo>,
    /// Whether its model is active (`None`: no such model).
    pub model_active: Option<bool>,
}

/// Up to `limit` requests, newest first, only those in one of the `wanted`
/// statuses (any status when empty). A request's model is its foreign key or,
/// when that is NULL, its slug (as the claim reads it).
pub async fn list_requests(
    db: &Database,
    wanted: &[&str],
    limit: i64,
) -> Result<Vec<RequestSummary>, AdminError> {
    let wanted: Vec<String> = wanted.iter().map(|status| (*status).to_owned()).collect();
    with_conn!(db, |conn| {
        let mut query = req::table
            .left_join(lease::table)
            .left_join(
                model::table.on(model::id
                    .nullable()
                    .eq(req::ai_model_id)
                    .or(req::ai_model_id.is_null().and(model::slug.eq(req::model)))),
            )
            .select((
                req::id,
                req::run_code,
                req::model,
                req::status,
                req::created_at,
                lease::attempt.nullable(),
                req::provider_job_id,
                model::is_active.nullable(),
            ))
            .order((req::created_at.desc(), req::id.desc()))
            .limit(limit.max(0))
            .into_boxed();
        if !wanted.is_empty() {
            query = query.filter(req::status.eq_any(&wanted));
        }
        query.load::<RequestSummary>(conn).map_err(AdminError::from)
    })
}

/// How many requests are in one of the `wanted` statuses.
pub async fn count_requests(db: &Database, wanted: &[&str]) -> Result<i64, AdminError> {
    let wanted: Vec<String> = wanted.iter().map(|status| (*status).to_owned()).collect();
    with_conn!(db, |conn| {
        req::table
            .filter(req::status.eq_any(&wanted))
            .count()
            .get_result::<i64>(conn)
            .map_err(AdminError::from)
    })
}

/// The request with this id, its lease and refund.
pub async fn request_details(db: &Database, id: i64) -> Result<RequestDetails, AdminError> {
    with_conn!(db, |conn| {
        let Some(request) = req::table
            .find(id)
            .select(RequestRecord::as_select())
            .first(conn)
            .optional()?
        else {
            return Err(AdminError::NotFound(id));
        };
        let lease = lease::table
            .find(id)
            .select((
                lease::worker_id,
                lease::attempt,
                lease::failures,
                lease::lease_expires_at,
                lease::last_error,
                lease::delivered,
            ))
            .first::<LeaseInfo>(conn)
            .optional()?;
        let refund = refund::table
            .find(id)
            .select((refund::transaction_id, refund::created_at))
            .first::<RefundInfo>(conn)
            .optional()?;
        let model_active = match request.ai_model_id {
            Some(model_id) => model::table
                .find(model_id)
                .select(model::is_active)
                .first::<bool>(conn)
                .optional()?,
            None => model::table
                .filter(model::slug.eq(&request.model))
                .select(model::is_active)
                .first::<bool>(conn)
                .optional()?,
        };
        Ok(RequestDetails {
            request,
            lease,
            refund,
            model_active,
        })
    })
}
