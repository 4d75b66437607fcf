//! The demo's Veo model: the catalog's own when it has one, else `veo3-fast`
//! added as the bot's seed catalog has it (its migrations 0003, 0007, 0008), so
//! a Veo request runs beside the Kling ones.

use std::sync::Arc;

use bigdecimal::BigDecimal;
use serde_json::json;

use super::DemoError;
use crate::catalog;
use crate::cli::CliError;
use crate::db::Database;
use crate::db::live::{Row, SqlValue, Tables};
use crate::db::types::UtcTime;
use crate::provider::veo;
use crate::with_conn;

/// The bot's Veo model.
const SLUG: &str = "veo3-fast";

/// The slug of an active Veo model, inserting the bot's `veo3-fast` if there is none.
pub async fn ensure(db: &Database, tables: &Arc<Tables>) -> Result<String, CliError> {
    let models = catalog::list(db).await?;
    if let Some(model) = models
        .iter()
        .find(|model| model.provider == veo::NAME && model.is_active)
    {
        return Ok(model.slug.clone());
    }
    let tables = Arc::clone(tables);
    with_conn!(db, |conn| tables
        .insert(conn, row(UtcTime::now()))
        .map(drop)
        .map_err(|error| CliError::from(DemoError::VeoModel(error))))?;
    Ok(SLUG.to_owned())
}

fn row(now: UtcTime) -> Row {
    Row::new("botapp_aimodel")
        .set("slug", SLUG)
        .set("name", "Veo 3.1 Fast")
        .set("display_name", "⚡ Veo 3.1 Fast")
        .set("type", "video")
        .set("provider", veo::NAME)
        .set(
            "description",
            "Передовая модель искусственного интеллекта от Google. Позволяет генерировать \
             видео в качестве 720p и до 8 секунд.",
        )
        .set(
            "short_description",
            "Быстрая генерация вертикальных видео 720p",
        )
        .set("price", BigDecimal::from(19).with_scale(2))
        .set("api_endpoint", "")
        .set("api_model_name", "veo-3.1-fast-generate-preview")
        .set("max_prompt_length", 1000)
        .set("supports_image_input", true)
        .set("max_input_images", 1)
        .set(
            "default_params",
            json!({"duration": 8, "resolution": "720p", "fps": 24, "aspect_ratio": "9:16"}),
        )
        .set(
            "allowed_params",
            json!({"duration": {"min": 2, "max": 8}, "resolution": ["720p", "480p"], "fps": [24, 30]}),
        )
        .set("max_quantity", 1)
        .set("cooldown_seconds", 10)
        .set("daily_limit", None::<i32>)
        .set("is_active", true)
        .set("is_beta", true)
        .set("min_user_level", 0)
        .set("order", 10)
        .set("total_generations", 0)
        .set("total_errors", 0)
        .set("average_generation_time", 0.0)
        .set("created_at", now)
        .set("updated_at", now)
        .known("unit_cost_usd", SqlValue::from(BigDecimal::new(5.into(), 2)))
        .known("base_cost_usd", SqlValue::from(BigDecimal::new(5.into(), 2)))
        .known("cost_unit", SqlValue::from("second"))
}
