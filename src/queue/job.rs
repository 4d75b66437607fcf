//! [`Job`]: a claimed request with everything its run needs, read in the claim's
//! transaction, and the [`Lease`] that is the only way to write its fate.

use std::sync::Arc;

use super::{GenRequest, Lease};
use crate::catalog::AiModel;
use crate::i18n::Language;
use crate::message::ChargeFacts;
use crate::queue::refund::ChargeError;

/// A claimed request, ready to run.
#[derive(Debug)]
pub struct Job {
    /// This worker's lease of the request.
    pub lease: Lease,
    /// The request as it was when claimed.
    pub request: GenRequest,
    /// Its model by `ai_model_id` (none when NULL or dangling), shared by the
    /// jobs of one claim.
    pub model: Option<Arc<AiModel>>,
    /// The language of the request's user (`botapp_tguser.language_code`;
    /// Russian when the request has no user).
    pub language: Language,
    /// What the user paid.
    pub charge: Charge,
    /// What earlier claims of the request left behind.
    pub earlier: Earlier,
}

/// A request's charge, as the claim found it.
#[derive(Debug, Clone, Default)]
pub struct Charge {
    /// Why the charge could not be refunded, if it could not (`None` also
    /// without a charge).
    pub unrefundable: Option<ChargeError>,
    /// The charge's amount and the balance after it, as the caption reports them
    /// (none without a charge).
    pub facts: Option<ChargeFacts>,
}

/// What earlier claims of a request left beside its lease.
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    /// The English wording of a failure an earlier claim stored (empty: none).
    pub error_message_en: String,
    /// The provider task that an earlier run reported failed, if any.
    pub failed_task: FailedTask,
}

/// The last provider task a request had that the provider reported failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailedTask {
    /// Its id (empty: no task of this request failed).
    pub task_id: String,
    /// How many of the request's tasks failed: the next task is number `round + 1`.
    pub round: i32,
}

impl FailedTask {
    /// Whether `task_id` (a request's saved task) is the one that failed: a
    /// requeued request then submits a new task rather than resuming it.
    pub fn is(&self, task_id: &str) -> bool {
        !self.task_id.is_empty() && self.task_id == task_id
    }

    /// The name of the request's next task: its run code for the first, then
    /// `<run_code>-2`, `-3`… (a provider refuses a name it has seen).
    pub fn next_key(&self, run_code: &str) -> String {
        if self.round <= 0 {
            run_code.to_owned()
        } else {
            format!("{run_code}-{}", self.round + 1)
        }
    }
}
