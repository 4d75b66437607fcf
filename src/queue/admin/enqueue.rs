//! [`enqueue`]: a request inserted exactly as the bot inserts one (Django sets
//! no database defaults, so every NOT NULL column is written), optionally for a
//! bot user who is charged the model's price, as the bot's
//! `create_generation_request` does.

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use serde_json::{Map, Value, json};

use super::AdminError;
use crate::catalog::AiModel;
use crate::db::Database;
use crate::db::types::{JsonDoc, UtcTime};
use crate::queue::balance::{BalanceOps, money};
use crate::queue::{QueueBackend, status};
use crate::schema::{
    botapp_aimodel as model, botapp_genrequest as req, botapp_tguser as tguser,
    botapp_transaction as tx,
};
use crate::with_conn;

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

/// Inserts a queued request; with a user, also creates the user and balance when
/// missing and charges the price, all in one transaction. Unknown model slugs and
/// image2video for a model without image input write nothing.
pub async fn enqueue(db: &Database, request: NewRequest) -> Result<Enqueued, AdminError> {
    with_conn!(db, |conn| {
        conn.queue_transaction(|conn| {
            let Some(found) = model::table
                .filter(model::slug.eq(&request.model_slug))
                .select(AiModel::as_select())
                .first(conn)
                .optional()?
            else {
                return Ok(Err(AdminError::UnknownModel(request.model_slug.clone())));
            };
            if request.kind == IMAGE2VIDEO && !found.supports_image_input {
                return Ok(Err(AdminError::NoImageInput(found.slug)));
            }
            let now = UtcTime::now();
            let price = money(&found.price);
            let charge = match request.user_chat_id {
                Some(chat) => Some(conn.charge(chat, &found, &price, now)?),
                None => None,
            };
            let run_code = format!("{:032x}", rand::random::<u128>());
            let row = request_row(&request, &found, &run_code, &price, now, charge.as_ref());
            let id = diesel::insert_into(req::table)
                .values(&row)
                .returning(req::id)
                .get_result::<i64>(conn)?;
            if let Some(charge) = &charge {
                diesel::update(tx::table.find(charge.transaction_id))
                    .set(tx::generation_request_id.eq(Some(id)))
                    .execute(conn)?;
            }
            Ok(Ok(Enqueued {
                id,
                run_code,
                transaction_id: charge.as_ref().map(|c| c.transaction_id),
                user_id: charge.as_ref().map(|c| c.user_id),
                balance_after: charge.map(|c| crate::catalog::money_text(&c.balance_after)),
            }))
        })?
    })
}

/// An amount with exactly two places (SQLite hands decimals back as floats).
/// A `botapp_genrequest` row as the bot writes it; `None` is written as NULL.
#[derive(Insertable)]
#[diesel(table_name = req)]
#[diesel(treat_none_as_default_value = false)]
struct RequestRow<'a> {
    run_code: &'a str,
    chat_id: i64,
    prompt: &'a str,
    quantity: i16,
    model: &'a str,
    status: &'a str,
    result_urls: JsonDoc,
    created_at: UtcTime,
    completed_at: Option<UtcTime>,
    cost: &'a BigDecimal,
    duration: Option<i32>,
    error_message: &'a str,
    file_sizes: JsonDoc,
    generation_params: JsonDoc,
    generation_type: &'a str,
    input_images: JsonDoc,
    processing_time: Option<f64>,
    started_at: Option<UtcTime>,
    user_id: Option<i64>,
    video_resolution: String,
    ai_model_id: Option<i64>,
    transaction_id: Option<i64>,
    aspect_ratio: String,
    provider_job_id: &'a str,
    provider_metadata: JsonDoc,
    source_media: JsonDoc,
    parent_request_id: Option<i64>,
}

fn request_row<'a>(
    request: &'a NewRequest,
    found: &'a AiModel,
    run_code: &'a str,
    price: &'a BigDecimal,
    now: UtcTime,
    charge: Option<&Charge>,
) -> RequestRow<'a> {
    let mut params = Map::new();
    params.insert("mode".into(), Value::String(request.kind.clone()));
    params.extend(request.params.clone());
    let mut source_media = Map::new();
    if let Some(image) = &request.image {
        params.insert("input_image_file_id".into(), Value::String(image.clone()));
        source_media.insert("telegram_file_id".into(), Value::String(image.clone()));
    }
    // The effective params: the model's defaults, each key overridden by the request's.
    let mut effective = match &found.default_params.0 {
        Value::Object(defaults) => defaults.clone(),
        _ => Map::new(),
    };
    effective.extend(params.clone());
    let text = |key: &str| {
        effective
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    RequestRow {
        run_code,
        chat_id: request.chat_id.or(request.user_chat_id).unwrap_or(0),
        prompt: &request.prompt,
        quantity: 1,
        model: &found.slug,
        status: status::QUEUED,
        result_urls: JsonDoc(json!([])),
        created_at: now,
        completed_at: None,
        cost: price,
        duration: effective
            .get("duration")
            .and_then(Value::as_i64)
            .and_then(|seconds| i32::try_from(seconds).ok()),
        error_message: "",
        file_sizes: JsonDoc(json!([])),
        generation_params: JsonDoc(Value::Object(params)),
        generation_type: &request.kind,
        input_images: JsonDoc(json!([])),
        processing_time: None,
        started_at: None,
        user_id: charge.map(|c| c.user_id),
        video_resolution: text("resolution"),
        ai_model_id: Some(found.id),
        transaction_id: charge.map(|c| c.transaction_id),
        aspect_ratio: text("aspect_ratio"),
        provider_job_id: "",
        provider_metadata: JsonDoc(json!({})),
        source_media: JsonDoc(Value::Object(source_media)),
        parent_request_id: None,
    }
}

/// A user charged for a new request.
struct Charge {
    user_id: i64,
    transaction_id: i64,
    balance_after: BigDecimal,
}

/// The bot's side of a paid request, on a connection (inside a queue transaction).
trait ChargeOps {
    /// Gets or creates the user and balance, takes `price` off the balance (it may
    /// go negative) and writes the `generation` transaction.
    fn charge(
        &mut self,
        chat: i64,
        found: &AiModel,
        price: &BigDecimal,
        now: UtcTime,
    ) -> QueryResult<Charge>;
}

macro_rules! charge_ops {
    ($conn:ty) => {
        impl ChargeOps for $conn {
            fn charge(
                &mut self,
                chat: i64,
                found: &AiModel,
                price: &BigDecimal,
                now: UtcTime,
            ) -> QueryResult<Charge> {
                diesel::insert_into(tguser::table)
                    .values((
                        tguser::chat_id.eq(chat),
                        tguser::username.eq(""),
                        tguser::created_at.eq(now),
                        tguser::first_name.eq(""),
                        tguser::is_blocked.eq(false),
                        tguser::is_premium.eq(false),
                        tguser::language_code.eq("ru"),
                        tguser::last_name.eq(""),
                        tguser::updated_at.eq(now),
                    ))
                    .on_conflict(tguser::chat_id)
                    .do_nothing()
                    .execute(self)?;
                let user_id = tguser::table
                    .filter(tguser::chat_id.eq(chat))
                    .select(tguser::id)
                    .first::<i64>(self)?;
                let (old, spent) = self.lock_balance(user_id, now)?;
                let balance_after = money(&(old - price));
                self.set_balance(user_id, &balance_after, &(spent + price))?;
                let transaction_id = diesel::insert_into(tx::table)
                    .values((
                        tx::kind.eq("generation"),
                        tx::amount.eq(-price),
                        tx::balance_after.eq(&balance_after),
                        tx::description.eq(format!("Генерация видео: {}", found.display_name)),
                        tx::description_en.eq(format!("Video generation: {}", found.display_name)),
                        tx::payment_method.eq(None::<String>),
                        tx::payment_id.eq(None::<String>),
                        tx::payment_data.eq(JsonDoc(json!({}))),
                        tx::is_completed.eq(true),
                        tx::is_pending.eq(false),
                        tx::created_at.eq(now),
                        tx::updated_at.eq(now),
                        tx::generation_request_id.eq(None::<i64>),
                        tx::related_transaction_id.eq(None::<i64>),
                        tx::user_id.eq(user_id),
                    ))
                    .returning(tx::id)
                    .get_result::<i64>(self)?;
                Ok(Charge {
                    user_id,
                    transaction_id,
                    balance_after,
                })
            }
        }
    };
}

charge_ops!(PgConnection);
charge_ops!(SqliteConnection);
