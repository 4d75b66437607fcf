//! Which providers can serve now: those built at start-up whose circuit is
//! closed. What `/healthz` reports as unhealthy and `genworker_provider_up` as 0.

use std::sync::Arc;

use super::circuit::Circuits;
use crate::provider::ProviderRegistry;

/// The providers of this process and their state (cheap to clone; shared).
#[derive(Clone)]
pub(super) struct Availability {
    /// Providers that run here.
    registered: Arc<[&'static str]>,
    /// Known providers configured but not built, each with the reason.
    unbuilt: Arc<[(&'static str, String)]>,
    /// Every known provider not built (configured or not), each with the reason.
    skipped: Arc<[(&'static str, String)]>,
    /// The circuits of the registered ones.
    pub(super) circuits: Circuits,
}

impl Availability {
    /// The providers of `registry`, all circuits closed.
    pub(super) fn new(registry: &ProviderRegistry) -> Self {
        Self {
            registered: registry.names().into(),
            unbuilt: registry.misconfigured().into(),
            skipped: registry.skipped().into(),
            circuits: Circuits::default(),
        }
    }

    /// 1 for a provider that can serve, 0 for one that cannot (not built, or
    /// its circuit open), by provider name.
    pub(super) fn up(&self) -> Vec<(String, f64)> {
        let mut up: Vec<(String, f64)> = self
            .registered
            .iter()
            .map(|name| {
                let open = self.circuits.is_open(name);
                ((*name).to_owned(), if open { 0.0 } else { 1.0 })
            })
            .chain(
                self.unbuilt
                    .iter()
                    .map(|(name, _)| ((*name).to_owned(), 0.0)),
            )
            .collect();
        up.sort_by(|a, b| a.0.cmp(&b.0));
        up
    }

    /// Why this process cannot serve what the catalog asks of it, if it cannot:
    /// no provider at all (each known one's reason), a configured provider of an
    /// active model (`active`: the providers of the active models) that could
    /// not be built, or an open circuit. A provider not configured at all is
    /// served elsewhere on purpose and is no problem.
    pub(super) fn problem(&self, active: &[String]) -> Option<String> {
        let mut problems = Vec::new();
        if self.registered.is_empty() {
            problems.push("no provider is configured, so nothing is claimed".to_owned());
            for (name, reason) in self.skipped.iter() {
                problems.push(format!("provider `{name}` cannot run: {reason}"));
            }
        } else {
            for (name, reason) in self.unbuilt.iter() {
                if active.iter().any(|provider| provider == name) {
                    problems.push(format!("provider `{name}` cannot run: {reason}"));
                }
            }
        }
        for (name, reason) in self.circuits.open() {
            problems.push(format!(
                "provider `{name}` refuses genworker's credentials or account ({reason}); \
                 its requests wait in the queue"
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}
