//! One row of `botapp_aimodel`.

use bigdecimal::BigDecimal;
use diesel::prelude::*;

use crate::db::types::{JsonDoc, UtcTime};
use crate::schema::botapp_aimodel;

/// A money amount with exactly two decimal places (`0.00`, `69.00`, `79.50`).
pub fn money_text(amount: &BigDecimal) -> String {
    format!(
        "{:.2}",
        amount.with_scale_round(2, bigdecimal::RoundingMode::HalfEven)
    )
}

/// An AI model as the bot's catalog stores it (every column).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = botapp_aimodel)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AiModel {
    /// Primary key.
    pub id: i64,
    /// Unique short name, e.g. `kling-v1`.
    pub slug: String,
    /// Internal name.
    pub name: String,
    /// Name shown to users.
    pub display_name: String,
    /// Column `type`: `video`, `image`, ...
    pub kind: String,
    /// Which provider serves it (a provider registry key).
    pub provider: String,
    /// Long description.
    pub description: String,
    /// One-line description.
    pub short_description: String,
    /// Price per generation, `numeric(6,2)`.
    pub price: BigDecimal,
    /// Provider endpoint override (often empty).
    pub api_endpoint: String,
    /// The model name sent to the provider's API.
    pub api_model_name: String,
    /// Longest prompt accepted, in characters.
    pub max_prompt_length: i32,
    /// Whether an input image is accepted (image2video).
    pub supports_image_input: bool,
    /// How many input images at most.
    pub max_input_images: i32,
    /// Parameters every request starts from (a JSON object).
    pub default_params: JsonDoc,
    /// What users may choose (a JSON object).
    pub allowed_params: JsonDoc,
    /// Results per request at most.
    pub max_quantity: i32,
    /// Seconds a user waits between requests.
    pub cooldown_seconds: i32,
    /// Requests per user per day, when limited.
    pub daily_limit: Option<i32>,
    /// Whether the bot offers it and genworker processes its queue.
    pub is_active: bool,
    /// Shown as beta.
    pub is_beta: bool,
    /// Lowest user level that may use it.
    pub min_user_level: i32,
    /// Column `order`: position in the bot's menu.
    pub sort_order: i32,
    /// Generations finished.
    pub total_generations: i32,
    /// Generations failed.
    pub total_errors: i32,
    /// Mean seconds per generation.
    pub average_generation_time: f64,
    /// When the row was created.
    pub created_at: UtcTime,
    /// When the row was last changed.
    pub updated_at: UtcTime,
}

impl AiModel {
    /// The price with exactly two decimal places, as Django shows it (`69.00`).
    pub fn price_text(&self) -> String {
        money_text(&self.price)
    }
}
