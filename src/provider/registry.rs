//! Providers keyed by name (= `botapp_aimodel.provider`). A provider whose
//! required settings are missing is not registered, and its requests are left
//! for whoever serves them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::VideoProvider;
use super::kling::{self, KlingProvider};
use crate::catalog::AiModel;
use crate::settings::Settings;

/// The providers this process serves, and why the others are not served.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<&'static str, Arc<dyn VideoProvider>>,
    skipped: BTreeMap<&'static str, String>,
}

impl ProviderRegistry {
    /// Registers every provider whose settings are complete.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut registry = Self::default();
        registry.add(kling::NAME, KlingProvider::from_settings(&settings.kling));
        registry
    }

    /// Registers a provider, or records why it could not be built.
    pub fn add<P: VideoProvider + 'static>(
        &mut self,
        name: &'static str,
        built: Result<P, String>,
    ) {
        match built {
            Ok(provider) => {
                self.skipped.remove(name);
                self.providers.insert(name, Arc::new(provider));
            }
            Err(reason) => {
                self.skipped.insert(name, reason);
            }
        }
    }

    /// The provider registered under this name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn VideoProvider>> {
        self.providers.get(name).cloned()
    }

    /// Names of the registered providers.
    pub fn names(&self) -> Vec<&'static str> {
        self.providers.keys().copied().collect()
    }

    /// Known providers that could not be built, each with the reason.
    pub fn skipped(&self) -> Vec<(&'static str, String)> {
        self.skipped
            .iter()
            .map(|(name, reason)| (*name, reason.clone()))
            .collect()
    }

    /// Why a known provider is not registered, if it is not.
    pub fn skipped_reason(&self, name: &str) -> Option<&str> {
        self.skipped.get(name).map(String::as_str)
    }

    /// Active models no registered provider serves, each with the reason.
    pub fn unserved<'a>(&self, models: &'a [AiModel]) -> Vec<(&'a AiModel, String)> {
        models
            .iter()
            .filter(|model| {
                model.is_active && !self.providers.contains_key(model.provider.as_str())
            })
            .map(|model| {
                let reason = self
                    .skipped_reason(&model.provider)
                    .map_or_else(|| "no such provider in genworker".to_owned(), str::to_owned);
                (model, reason)
            })
            .collect()
    }

    /// Logs which active models are left unserved, and why.
    pub fn log_unserved(&self, models: &[AiModel]) {
        for (model, reason) in self.unserved(models) {
            tracing::warn!(
                model.slug = %model.slug,
                provider = %model.provider,
                %reason,
                "active model not served by this process"
            );
        }
    }
}
