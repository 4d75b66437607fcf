//! The catalog's queries.

use diesel::prelude::*;
use serde_json::Value;

use super::{AiModel, CatalogError, ModelEdit, allowed};
use crate::db::live::Tables;
use crate::db::types::{JsonDoc, UtcTime};
use crate::db::{Database, MultiBackend};
use crate::schema::botapp_aimodel::dsl::*;
use crate::with_conn;

/// Every model, in menu order.
pub async fn list(db: &Database) -> Result<Vec<AiModel>, CatalogError> {
    with_conn!(db, |conn| {
        botapp_aimodel
            .select(AiModel::as_select())
            .order((sort_order.asc(), slug.asc()))
            .load(conn)
            .map_err(CatalogError::from)
    })
}

/// The model with this slug.
pub async fn find(db: &Database, wanted: &str) -> Result<AiModel, CatalogError> {
    let wanted = wanted.to_owned();
    with_conn!(db, |conn| {
        botapp_aimodel
            .filter(slug.eq(&wanted))
            .select(AiModel::as_select())
            .first(conn)
            .optional()?
            .ok_or(CatalogError::UnknownModel(wanted))
    })
}

/// Switches a model on or off (its queue resumes or pauses).
pub async fn set_active(
    db: &Database,
    wanted: &str,
    active: bool,
) -> Result<AiModel, CatalogError> {
    let wanted = wanted.to_owned();
    with_conn!(db, |conn| {
        let changed = diesel::update(botapp_aimodel.filter(slug.eq(&wanted)))
            .set((is_active.eq(active), updated_at.eq(UtcTime::now())))
            .returning(<AiModel as Selectable<MultiBackend>>::construct_selection())
            .get_result(conn)
            .optional()?;
        changed.ok_or(CatalogError::UnknownModel(wanted))
    })
}

/// Applies an edit in one transaction, once every value is checked against its
/// live column in `tables`; unknown slugs change nothing.
pub async fn apply_edit(
    db: &Database,
    tables: &Tables,
    wanted: &str,
    edit: ModelEdit,
) -> Result<AiModel, CatalogError> {
    if edit.is_empty() {
        return Err(CatalogError::NothingToChange);
    }
    edit.validate(tables).map_err(CatalogError::Invalid)?;
    let wanted = wanted.to_owned();
    with_conn!(db, |conn| {
        conn.write_transaction(|conn| {
            let current = botapp_aimodel
                .filter(slug.eq(&wanted))
                .select(AiModel::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| CatalogError::UnknownModel(wanted.clone()))?;
            let params = new_defaults(&current, &edit)?;
            diesel::update(botapp_aimodel.find(current.id))
                .set((
                    price.eq(edit.price.clone().unwrap_or(current.price)),
                    sort_order.eq(edit.sort_order.unwrap_or(current.sort_order)),
                    display_name.eq(edit.display_name.clone().unwrap_or(current.display_name)),
                    default_params.eq(JsonDoc(params)),
                    updated_at.eq(UtcTime::now()),
                ))
                .returning(<AiModel as Selectable<MultiBackend>>::construct_selection())
                .get_result(conn)
                .map_err(CatalogError::from)
        })
    })
}

/// `default_params` with the edit's keys set (a shallow merge, as the bot merges),
/// each allowed by the model's `allowed_params`, and its removed keys gone; never
/// empty (the Django admin's form rejects `{}`).
fn new_defaults(current: &AiModel, edit: &ModelEdit) -> Result<Value, CatalogError> {
    let invalid = |message: String| CatalogError::Invalid(message);
    let Value::Object(object) = &current.default_params.0 else {
        return Err(invalid(format!(
            "default_params of this model is not a JSON object: {}",
            current.default_params.0
        )));
    };
    let mut merged = object.clone();
    for (key, value) in &edit.default_params {
        allowed::check(&current.slug, &current.allowed_params.0, key, value).map_err(invalid)?;
        merged.insert(key.clone(), value.clone());
    }
    for key in &edit.remove_params {
        if merged.remove(key).is_none() {
            return Err(invalid(format!(
                "default_params of {} has no key `{key}`",
                current.slug
            )));
        }
    }
    if merged.is_empty() {
        return Err(invalid(format!(
            "default_params of {} would be empty, which the Django admin rejects",
            current.slug
        )));
    }
    Ok(Value::Object(merged))
}
