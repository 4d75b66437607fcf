//! One row of `botapp_genrequest`, as the daemon reads it.

use diesel::prelude::*;

use crate::db::types::{JsonDoc, UtcTime};
use crate::schema::botapp_genrequest;

/// A generation request (the columns the daemon uses).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = botapp_genrequest)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct GenRequest {
    /// Primary key.
    pub id: i64,
    /// Unique code; the video's file name and Kling's `external_task_id`.
    pub run_code: String,
    /// Telegram chat to notify.
    pub chat_id: i64,
    /// The user's prompt.
    pub prompt: String,
    /// The model's slug as the bot stored it.
    pub model: String,
    /// `queued`, `processing`, `done`, `error`, `cancelled`.
    pub status: String,
    /// `[url]` once done.
    pub result_urls: JsonDoc,
    /// When the bot created it.
    pub created_at: UtcTime,
    /// Seconds of video.
    pub duration: Option<i32>,
    /// Why it failed.
    pub error_message: String,
    /// The user's params.
    pub generation_params: JsonDoc,
    /// `text2video` or `image2video`.
    pub generation_type: String,
    /// When processing first started.
    pub started_at: Option<UtcTime>,
    /// The bot user (`botapp_tguser`).
    pub user_id: Option<i64>,
    /// e.g. `1080p`.
    pub video_resolution: String,
    /// The model (`botapp_aimodel`).
    pub ai_model_id: Option<i64>,
    /// The charge (`botapp_transaction`).
    pub transaction_id: Option<i64>,
    /// e.g. `16:9`.
    pub aspect_ratio: String,
    /// The provider's task id, once it exists.
    pub provider_job_id: String,
    /// `{"telegram_file_id": …}` for image2video.
    pub source_media: JsonDoc,
}

/// Request statuses the bot and genworker use.
pub mod status {
    /// Waiting to be claimed.
    pub const QUEUED: &str = "queued";
    /// Claimed by a worker.
    pub const PROCESSING: &str = "processing";
    /// Finished with a video.
    pub const DONE: &str = "done";
    /// Finished with an error (and refunded when charged).
    pub const ERROR: &str = "error";
    /// Cancelled by the bot or an operator.
    pub const CANCELLED: &str = "cancelled";
}
