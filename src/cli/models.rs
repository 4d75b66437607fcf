//! `genworker models …`: the catalog for admins without the Django admin.

use bigdecimal::BigDecimal;
use clap::Subcommand;
use comfy_table::{Table, presets};
use serde_json::{Value, json};

use super::CliError;
use super::output::{outln, print_json};
use crate::catalog::{self, AiModel, ModelEdit, parse_default_param, parse_price};
use crate::db::Database;
use crate::db::live::Tables;

/// Catalog operations.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List every model in menu order.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show every field of one model (a later release's columns as their text).
    Show {
        /// The model's slug, e.g. kling-v1.
        slug: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Switch a model on: the bot offers it and its queue is processed.
    Enable {
        /// The model's slug.
        slug: String,
    },
    /// Switch a model off: its queued requests wait (requests in flight finish).
    Disable {
        /// The model's slug.
        slug: String,
    },
    /// Change price, menu order, display name or default parameters.
    Set {
        /// The model's slug.
        slug: String,
        /// New price, e.g. 79.50: a decimal that fits botapp_aimodel.price (2 places;
        /// at most 9999.99 at the bot's b6702256 release, 999999.99 at later ones).
        #[arg(long, value_parser = parse_price, allow_negative_numbers = true)]
        price: Option<BigDecimal>,
        /// New position in the bot's menu (column `order`).
        #[arg(long, allow_negative_numbers = true)]
        order: Option<i32>,
        /// New name shown to users (as long as botapp_aimodel.display_name holds: 100).
        #[arg(long)]
        display_name: Option<String>,
        /// Set one key of default_params: key=<json>, e.g. duration=12 or resolution='"720p"';
        /// refused when the model's allowed_params does not allow the value.
        #[arg(long = "default-param", value_name = "KEY=JSON", value_parser = parse_default_param)]
        default_params: Vec<(String, Value)>,
        /// Remove one key of default_params (it never becomes empty).
        #[arg(long = "remove-default-param", value_name = "KEY")]
        remove_params: Vec<String>,
    },
}

/// Runs one catalog command.
pub async fn run(db: &Database, tables: &Tables, command: ModelsCommand) -> Result<(), CliError> {
    match command {
        ModelsCommand::List { json } => {
            let models = catalog::list(db).await?;
            if json {
                let rows: Vec<Value> = models.iter().map(model_json).collect();
                print_json(&Value::Array(rows))
            } else {
                outln!("{}", models_table(&models))
            }
        }
        ModelsCommand::Show { slug, json } => {
            let model = catalog::find(db, &slug).await?;
            let mut fields = model_json(&model);
            if let Value::Object(object) = &mut fields {
                for (name, value) in tables.other_fields(db, "botapp_aimodel", model.id).await? {
                    object.insert(name, value.map_or(Value::Null, Value::String));
                }
            }
            if json {
                print_json(&fields)
            } else {
                print_fields(&fields)
            }
        }
        ModelsCommand::Enable { slug } => report(catalog::set_active(db, &slug, true).await?),
        ModelsCommand::Disable { slug } => report(catalog::set_active(db, &slug, false).await?),
        ModelsCommand::Set {
            slug,
            price,
            order,
            display_name,
            default_params,
            remove_params,
        } => {
            let edit = ModelEdit {
                price,
                sort_order: order,
                display_name,
                default_params,
                remove_params,
            };
            report(catalog::apply_edit(db, tables, &slug, edit).await?)
        }
    }
}

fn report(model: AiModel) -> Result<(), CliError> {
    let state = if model.is_active {
        "active"
    } else {
        "inactive"
    };
    outln!(
        "{}: {state}, price {}, order {}, display name {:?}, default params {}",
        model.slug,
        model.price_text(),
        model.sort_order,
        model.display_name,
        model.default_params.0
    )
}

fn models_table(models: &[AiModel]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header([
        "SLUG",
        "DISPLAY NAME",
        "PROVIDER",
        "TYPE",
        "PRICE",
        "ACTIVE",
        "IMAGE INPUT",
        "ORDER",
    ]);
    for model in models {
        table.add_row([
            model.slug.clone(),
            model.display_name.clone(),
            model.provider.clone(),
            model.kind.clone(),
            model.price_text(),
            yes_no(model.is_active).into(),
            yes_no(model.supports_image_input).into(),
            model.sort_order.to_string(),
        ]);
    }
    table
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// Every column of a model, keyed by its column name.
fn model_json(model: &AiModel) -> Value {
    json!({
        "id": model.id,
        "slug": model.slug,
        "name": model.name,
        "display_name": model.display_name,
        "type": model.kind,
        "provider": model.provider,
        "description": model.description,
        "short_description": model.short_description,
        "price": model.price_text(),
        "api_endpoint": model.api_endpoint,
        "api_model_name": model.api_model_name,
        "max_prompt_length": model.max_prompt_length,
        "supports_image_input": model.supports_image_input,
        "max_input_images": model.max_input_images,
        "default_params": model.default_params.0,
        "allowed_params": model.allowed_params.0,
        "max_quantity": model.max_quantity,
        "cooldown_seconds": model.cooldown_seconds,
        "daily_limit": model.daily_limit,
        "is_active": model.is_active,
        "is_beta": model.is_beta,
        "min_user_level": model.min_user_level,
        "order": model.sort_order,
        "total_generations": model.total_generations,
        "total_errors": model.total_errors,
        "average_generation_time": model.average_generation_time,
        "created_at": model.created_at.0.to_rfc3339(),
        "updated_at": model.updated_at.0.to_rfc3339(),
    })
}

fn print_fields(fields: &Value) -> Result<(), CliError> {
    let Value::Object(fields) = fields else {
        return Ok(());
    };
    let width = fields.keys().map(String::len).max().unwrap_or(0);
    for (key, value) in fields {
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        outln!("{key:<width$}  {text}")?;
    }
    Ok(())
}
