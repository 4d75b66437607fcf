//! The Kling seed of migration `0022_add_kling_model` (DESIGN §4): the `kling-v1`
//! row of the bot's own migration of that name, inserted only into a catalog
//! genworker created, never beside a release of the bot that has its own Kling
//! models (re-adding a model the bot retired would put it back on sale).
//! The seed runs inside `migrate`'s transaction.

use std::fmt;

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

use super::pricing::{price_in_usd, tokens_per_usd};
use crate::db::AnyConnection;
use crate::db::live::{ReadColumns, Row, RowError, SqlValue, Tables};
use crate::db::types::UtcTime;
use crate::schema::botapp_aimodel as model;

/// The seeded model's slug.
pub const SLUG: &str = "kling-v1";

/// What the seed did, or would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seed {
    /// `kling-v1` was inserted.
    Inserted,
    /// The catalog already has a Kling model (this slug, or provider `kling`).
    KlingModelExists(String),
    /// The bot's own `botapp.0022_add_kling_model` is recorded in
    /// `django_migrations`: the bot seeded (and maybe since renamed) its Kling model.
    BotSeeded,
}

impl Seed {
    /// Why no model is inserted (`None`: `kling-v1` is).
    pub fn reason(&self) -> Option<String> {
        match self {
            Self::Inserted => None,
            Self::KlingModelExists(slug) => {
                Some(format!("the catalog has the Kling model `{slug}`"))
            }
            Self::BotSeeded => Some(
                "the bot's own botapp.0022_add_kling_model is recorded in django_migrations, \
                 so the catalog's Kling models are the bot's"
                    .into(),
            ),
        }
    }
}

impl fmt::Display for Seed {
    /// What the seed did: `inserted kling-v1`, `inserted no model: <why>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            None => write!(f, "inserted {SLUG}"),
            Some(reason) => write!(f, "inserted no model: {reason}"),
        }
    }
}

/// Why the seed must insert nothing here, if it must not.
pub fn seed_refusal(conn: &mut AnyConnection) -> QueryResult<Option<Seed>> {
    if !conn.table_exists("botapp_aimodel")? {
        return Ok(None);
    }
    let kling = model::table
        .filter(model::provider.eq("kling").or(model::slug.eq(SLUG)))
        .order(model::id)
        .select(model::slug)
        .first::<String>(conn)
        .optional()?;
    if let Some(slug) = kling {
        return Ok(Some(Seed::KlingModelExists(slug)));
    }
    if !conn.table_exists("django_migrations")? {
        return Ok(None);
    }
    let recorded = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM django_migrations WHERE app = 'botapp' AND name = {}",
        conn.kind().placeholder(1)
    ))
    .bind::<Text, _>("0022_add_kling_model")
    .get_result::<Recorded>(conn)?;
    Ok((recorded.n > 0).then_some(Seed::BotSeeded))
}

/// Inserts `kling-v1` unless [`seed_refusal`] says otherwise.
pub fn seed(conn: &mut AnyConnection, tables: &Tables) -> Result<Seed, RowError> {
    if let Some(refusal) = seed_refusal(conn)? {
        return Ok(refusal);
    }
    let rate = tokens_per_usd(conn)?;
    tables.insert(conn, kling_row(&rate, UtcTime::now()))?;
    Ok(Seed::Inserted)
}

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The `kling-v1` row, with the bot's values for the cost fields of its later releases.
fn kling_row(tokens_per_usd: &BigDecimal, now: UtcTime) -> Row {
    let price = BigDecimal::from(69).with_scale(2);
    let usd = price_in_usd(&price, tokens_per_usd);
    Row::new("botapp_aimodel")
        .set("slug", SLUG)
        .set("name", "Kling Video")
        .set("display_name", "🎥 Kling (Kuaishou)")
        .set("type", "video")
        .set("provider", "kling")
        .set(
            "description",
            "Премиальная модель генерации видео от Kuaishou. Поддерживает режимы text2video и \
             image2video, работает с длительностью до 30 секунд, умеет синтезировать аудио \
             дорожку и сохраняет стиль референсных кадров.",
        )
        .set("short_description", "Видео до 30 сек в 720p/1080p + режим Remix")
        .set("price", &price)
        .set("api_endpoint", "")
        .set("api_model_name", SLUG)
        .set("max_prompt_length", 2000)
        .set("supports_image_input", true)
        .set("max_input_images", 1)
        .set(
            "default_params",
            json!({"duration": 10, "resolution": "1080p", "aspect_ratio": "16:9", "enable_audio": true}),
        )
        .set(
            "allowed_params",
            json!({"duration": {"min": 4, "max": 30}, "resolution": ["720p", "1080p"],
                "aspect_ratio": ["16:9", "9:16", "1:1"], "enable_audio": [true, false],
                "fps": {"min": 16, "max": 30}}),
        )
        .set("max_quantity", 1)
        .set("cooldown_seconds", 45)
        .set("daily_limit", Some(6))
        .set("is_active", true)
        .set("is_beta", true)
        .set("min_user_level", 2)
        .set("order", 35)
        .set("total_generations", 0)
        .set("total_errors", 0)
        .set("average_generation_time", 0.0)
        .set("created_at", now)
        .set("updated_at", now)
        .known("unit_cost_usd", usd.clone())
        .known("base_cost_usd", usd)
        .known("cost_unit", SqlValue::from("generation"))
}
