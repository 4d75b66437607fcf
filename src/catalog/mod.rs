//! The AI model catalog (`botapp_aimodel`): what admins see and change without
//! the Django admin. Writes follow Django's `save()`: every change sets `updated_at`.

pub mod allowed;
mod edit;
mod model;
pub mod pricing;
pub mod seed;
mod store;

pub use edit::{ModelEdit, parse_default_param, parse_price};
pub use model::{AiModel, money_text};
pub use store::{apply_edit, find, list, set_active};

use crate::db::DbError;

/// Why a catalog operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No model has this slug.
    #[error("no AI model with slug `{0}` (see `genworker models list`)")]
    UnknownModel(String),
    /// `models set` without anything to set.
    #[error(
        "nothing to change: give --price, --order, --display-name, --default-param or \
         --remove-default-param"
    )]
    NothingToChange,
    /// A value the Django admin would refuse too.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for CatalogError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}
