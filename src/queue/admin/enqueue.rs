//! [`enqueue`]: a request inserted exactly as the bot inserts one (Django sets
//! no database defaults, so every NOT NULL column is written), optionally for a
//! bot user who is charged the model's price, as the bot's
//! `create_generation_request` does.

use std::sync::Arc;

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::AdminError;
use crate::catalog::pricing::{RequestUnits, model_costs, request_cost_usd, tokens_per_usd};
use crate::catalog::{AiModel, allowed};
use crate::db::live::needs::USER_SETTINGS;
use crate::db::live::{Row, SqlValue, Tables};
use crate::db::types::UtcTime;
use crate::db::{AnyConnection, Database};
use crate::queue::balance::{Movement, lock_balance, money, set_balance};
use crate::queue::progress::count_request;
use crate::queue::stats::count_created;
use crate::queue::status;
use crate::schema::{botapp_aimodel as model, botapp_tguser as tguser, botapp_transaction as tx};
use crate::with_conn;

/// The botapp tables `enqueue` inserts rows into (the user, balance, charge and
/// request): what its start-up check must plan.
pub const ENQUEUE_INSERTS: [&str; 4] = [
    "botapp_tguser",
    "botapp_userbalance",
    "botapp_transaction",
    "botapp_genrequest",
];

/// The generation type that needs a model with image input.
const IMAGE2VIDEO: &str = "image2video";

/// A request to insert. Prompt and image are written as given, unchecked (the
/// daemon must be able to receive bad input).
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    /// The model's slug (`botapp_aimodel.slug`).
    pub model_slug: String,
    /// The user's prompt.
    pub prompt: String,
    /// `generation_type`: `text2video` or `image2video` (not checked here, so tests
    /// can hand the daemon a type no provider supports).
    pub kind: String,
    /// A Telegram file id of the input image.
    pub image: Option<String>,
    /// The chat to notify; default: the user's chat, else 0.
    pub chat_id: Option<i64>,
    /// The bot user (by Telegram chat id) to create if missing and charge.
    pub user_chat_id: Option<i64>,
    /// Extra `generation_params` keys (they may override `mode`).
    pub params: Map<String, Value>,
}

impl NewRequest {
    /// A text2video request for `model_slug`, without user or extras.
    pub fn text2video(model_slug: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            model_slug: model_slug.into(),
            prompt: prompt.into(),
            kind: "text2video".into(),
            ..Self::default()
        }
    }

    /// An image2video request for `model_slug` with a Telegram file id as input.
    pub fn image2video(
        model_slug: impl Into<String>,
        prompt: impl Into<String>,
        image: impl Into<String>,
    ) -> Self {
        Self {
            kind: IMAGE2VIDEO.into(),
            image: Some(image.into()),
            ..Self::text2video(model_slug, prompt)
        }
    }
}

/// The inserted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// `botapp_genrequest.id`.
    pub id: i64,
    /// 32 random hex characters.
    pub run_code: String,
    /// The charge (`botapp_transaction`), when a user was given.
    pub transaction_id: Option<i64>,
    /// The user (`botapp_tguser.id`), when one was given.
    pub user_id: Option<i64>,
    /// The user's balance after the charge (two decimal places).
    pub balance_after: Option<String>,
}

/// Inserts a queued request and counts it as the bot does (the model's
/// `total_generations`, the user's settings when they have a row); with a user,
/// also creates the user and balance when missing and charges the price, all in
/// one transaction. Unknown model slugs,
/// image2video for a model without image input, and values wider than their live
/// columns write nothing.
pub async fn enqueue(
    db: &Database,
    tables: &Arc<Tables>,
    request: NewRequest,
) -> Result<Enqueued, AdminError> {
    let tables = tables.clone();
    with_conn!(db, |conn| {
        // Any refusal rolls back what was written before it (user, balance, charge).
        conn.queue_transaction(|conn| -> Result<Enqueued, AdminError> {
            let found = model::table
                .filter(model::slug.eq(&request.model_slug))
                .select(AiModel::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| AdminError::UnknownModel(request.model_slug.clone()))?;
            if request.kind == IMAGE2VIDEO && !found.supports_image_input {
                return Err(AdminError::NoImageInput(found.slug));
            }
            // As the bot: only what the model's allowed_params allows.
            for (key, value) in &request.params {
                allowed::check(&found.slug, &found.allowed_params.0, key, value)
                    .map_err(AdminError::Invalid)?;
            }
            let now = UtcTime::now();
            let price = money(&found.price);
            let charge = match request.user_chat_id {
                Some(chat) => Some(charge_user(conn, &tables, chat, &found, &price, now)?),
                None => None,
            };
            let run_code = format!("{:032x}", rand::random::<u128>());
            let draft = RequestDraft::new(&request, &found);
            let cost_usd = request_cost_usd(
                &model_costs(conn, &tables, found.id)?,
                RequestUnits {
                    quantity: 1,
                    duration: draft.duration,
                },
                &price,
                &tokens_per_usd(conn)?,
            );
            let row = draft
                .row(&run_code, &price, now, charge.as_ref())
                .known("cost_usd", cost_usd);
            let id = tables.insert(conn, row)?;
            // What the bot counts when it creates a request, in its order: the
            // balance (charged above), the user's settings, then the model.
            if let (Some(charge), true) = (&charge, tables.has_table(USER_SETTINGS)) {
                count_request(conn, charge.user_id, 1, now)?;
            }
            count_created(conn, found.id)?;
            if let Some(charge) = &charge {
                diesel::update(tx::table.find(charge.transaction_id))
                    .set(tx::generation_request_id.eq(Some(id)))
                    .execute(conn)?;
            }
            Ok(Enqueued {
                id,
                run_code,
                transaction_id: charge.as_ref().map(|c| c.transaction_id),
                user_id: charge.as_ref().map(|c| c.user_id),
                balance_after: charge.map(|c| crate::catalog::money_text(&c.balance_after)),
            })
        })
    })
}

/// A request's params as the bot writes them, and the values it derives from them.
struct RequestDraft<'a> {
    request: &'a NewRequest,
    model: &'a AiModel,
    /// `generation_params`: `mode`, the given keys, the image's file id.
    params: Map<String, Value>,
    source_media: Map<String, Value>,
    /// The model's defaults overridden by `params`.
    effective: Map<String, Value>,
    duration: Option<i32>,
}

impl<'a> RequestDraft<'a> {
    fn new(request: &'a NewRequest, model: &'a AiModel) -> Self {
        let mut params = Map::new();
        params.insert("mode".into(), Value::String(request.kind.clone()));
        params.extend(request.params.clone());
        let mut source_media = Map::new();
        if let Some(image) = &request.image {
            params.insert("input_image_file_id".into(), Value::String(image.clone()));
            source_media.insert("telegram_file_id".into(), Value::String(image.clone()));
        }
        let mut effective = match &model.default_params.0 {
            Value::Object(defaults) => defaults.clone(),
            _ => Map::new(),
        };
        effective.extend(params.clone());
        let duration = effective
            .get("duration")
            .and_then(Value::as_i64)
            .and_then(|seconds| i32::try_from(seconds).ok());
        Self {
            request,
            model,
            params,
            source_media,
            effective,
            duration,
        }
    }

    fn text(&self, key: &str) -> String {
        self.effective
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// The `botapp_genrequest` row; `None` is written as NULL.
    fn row(
        &self,
        run_code: &str,
        price: &BigDecimal,
        now: UtcTime,
        charge: Option<&Charge>,
    ) -> Row {
        let request = self.request;
        Row::new("botapp_genrequest")
            .set("run_code", run_code)
            .set(
                "chat_id",
                request.chat_id.or(request.user_chat_id).unwrap_or(0),
            )
            .set("prompt", request.prompt.as_str())
            .set("quantity", 1i16)
            .set("model", self.model.slug.as_str())
            .set("status", status::QUEUED)
            .set("result_urls", json!([]))
            .set("created_at", now)
            .set("completed_at", SqlValue::Null)
            .set("cost", price)
            .set("duration", self.duration)
            .set("error_message", "")
            .set("file_sizes", json!([]))
            .set("generation_params", Value::Object(self.params.clone()))
            .set("generation_type", request.kind.as_str())
            .set("input_images", json!([]))
            .set("processing_time", SqlValue::Null)
            .set("started_at", SqlValue::Null)
            .set("user_id", charge.map(|c| c.user_id))
            .set("video_resolution", self.text("resolution"))
            .set("ai_model_id", self.model.id)
            .set("transaction_id", charge.map(|c| c.transaction_id))
            .set("aspect_ratio", self.text("aspect_ratio"))
            .set("provider_job_id", "")
            .set("provider_metadata", json!({}))
            .set("source_media", Value::Object(self.source_media.clone()))
            .set("parent_request_id", SqlValue::Null)
    }
}

/// A user charged for a new request.
struct Charge {
    user_id: i64,
    transaction_id: i64,
    balance_after: BigDecimal,
}

/// Gets or creates the user and balance, takes `price` off the balance (it may
/// go negative) and writes the `generation` transaction (the bot's side of a
/// paid request, inside a queue transaction).
fn charge_user(
    conn: &mut AnyConnection,
    tables: &Tables,
    chat: i64,
    found: &AiModel,
    price: &BigDecimal,
    now: UtcTime,
) -> Result<Charge, AdminError> {
    let user = Row::new("botapp_tguser")
        .set("chat_id", chat)
        .set("username", "")
        .set("created_at", now)
        .set("first_name", "")
        .set("is_blocked", false)
        .set("is_premium", false)
        .set("language_code", "ru")
        .set("last_name", "")
        .set("updated_at", now);
    tables.insert_absent(conn, user, "chat_id")?;
    let user_id = tguser::table
        .filter(tguser::chat_id.eq(chat))
        .select(tguser::id)
        .first::<i64>(conn)?;
    let (old, spent) = lock_balance(conn, tables, user_id, now)?;
    let balance_after = money(&(old - price));
    let movement = Movement {
        kind: "generation",
        amount: &-price,
        balance_after: &balance_after,
        description: format!("Генерация видео: {}", found.display_name),
        description_en: format!("Video generation: {}", found.display_name),
        related: None,
        user: user_id,
    };
    set_balance(conn, user_id, &balance_after, &(spent + price))?;
    let transaction_id = tables.insert(conn, movement.row(now))?;
    Ok(Charge {
        user_id,
        transaction_id,
        balance_after,
    })
}
