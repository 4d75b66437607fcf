//! Providers keyed by name (= `botapp_aimodel.provider`), each behind its
//! [`Runner`]. A provider whose required settings are missing is not
//! registered, and its requests are left for whoever serves them: one not
//! configured at all (its credential unset) is served elsewhere on purpose
//! (the Celery worker during a cut-over); one configured but wrongly is an
//! operator's mistake that `/healthz` reports.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::kling::{self, KlingProvider};
use super::veo::{self, VeoProvider};
use super::{Runner, SetupError, VideoProvider};
use crate::catalog::AiModel;
use crate::net::AddressPolicy;
use crate::settings::Settings;

/// The providers this process serves, and why the others are not served.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<&'static str, Arc<Runner>>,
    skipped: BTreeMap<&'static str, Skipped>,
    policy: AddressPolicy,
}

/// Why a known provider is not registered.
#[derive(Debug, Clone)]
struct Skipped {
    /// The [`SetupError`]'s text, as `/healthz` and the logs show it.
    reason: String,
    /// Its credential is set: it was meant to run here.
    configured: bool,
}

impl ProviderRegistry {
    /// Registers every provider whose settings are complete.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut registry = Self {
            policy: settings.daemon.address_policy(),
            ..Self::default()
        };
        registry.add_configured(
            kling::NAME,
            settings.kling.has_credentials(),
            KlingProvider::from_settings(
                &settings.kling,
                registry.policy,
                settings.daemon.callbacks.clone(),
            ),
        );
        registry.add_configured(
            veo::NAME,
            settings.veo.has_credentials(),
            VeoProvider::from_settings(&settings.veo),
        );
        registry
    }

    /// As [`ProviderRegistry::add`]; a provider whose credential is not set
    /// (`configured` false) is recorded as not meant to run here.
    pub fn add_configured<P: VideoProvider + 'static>(
        &mut self,
        name: &'static str,
        configured: bool,
        built: Result<P, SetupError>,
    ) {
        self.add(name, built);
        if let Some(skipped) = self.skipped.get_mut(name) {
            skipped.configured = configured;
        }
    }

    /// Registers a provider behind its runner, or records why it could not be built.
    pub fn add<P: VideoProvider + 'static>(
        &mut self,
        name: &'static str,
        built: Result<P, SetupError>,
    ) {
        let runner = built.and_then(|provider| Runner::new(Arc::new(provider), self.policy));
        match runner {
            Ok(runner) => {
                self.skipped.remove(name);
                self.providers.insert(name, Arc::new(runner));
            }
            Err(error) => {
                self.skipped.insert(
                    name,
                    Skipped {
                        reason: error.to_string(),
                        configured: true,
                    },
                );
            }
        }
    }

    /// The runner of the provider registered under this name.
    pub fn get(&self, name: &str) -> Option<Arc<Runner>> {
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
            .map(|(name, skipped)| (*name, skipped.reason.clone()))
            .collect()
    }

    /// Known providers whose credential is set but that could not be built:
    /// the operator meant them to run here.
    pub fn misconfigured(&self) -> Vec<(&'static str, String)> {
        self.skipped
            .iter()
            .filter(|(_, skipped)| skipped.configured)
            .map(|(name, skipped)| (*name, skipped.reason.clone()))
            .collect()
    }

    /// Why a known provider is not registered, if it is not.
    pub fn skipped_reason(&self, name: &str) -> Option<&str> {
        self.skipped
            .get(name)
            .map(|skipped| skipped.reason.as_str())
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
